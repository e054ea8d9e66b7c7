#!/usr/bin/env bash
# Makes sure what the tests need is on this machine: PostgreSQL's initdb and
# pg_ctl (the tests start a throwaway server with them). Installs Debian's
# postgresql package when they are missing and we may (root with apt-get).
set -euo pipefail

have_pg() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
  done
  return 1
}

if ! have_pg; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: installing PostgreSQL (initdb, pg_ctl) with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "test-deps: PostgreSQL's initdb/pg_ctl not found; PostgreSQL tests will skip (or fail under CI=true)." >&2
  fi
fi
