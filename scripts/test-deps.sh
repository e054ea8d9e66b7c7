#!/usr/bin/env bash
# Makes sure what the tests need is on this machine:
#  - PostgreSQL's initdb and pg_ctl (the tests start a throwaway server with
#    them);
#  - Chromium (the web console's browser tests drive a headless one through
#    internal/testutil/browser).
# Installs the Debian packages postgresql and chromium when they are missing
# and we may (root with apt-get).
set -euo pipefail

can_apt() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

have_pg() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
  done
  return 1
}

if ! have_pg; then
  if can_apt; then
    echo "test-deps: installing PostgreSQL (initdb, pg_ctl) with apt-get" >&2
    apt_install postgresql
  else
    echo "test-deps: PostgreSQL's initdb/pg_ctl not found; PostgreSQL tests will skip (or fail under CI=true)." >&2
  fi
fi

# The same places, in the same order, as internal/testutil/browser.
have_chromium() {
  if [ -n "${PICKET_CHROMIUM:-}" ]; then
    command -v "$PICKET_CHROMIUM" >/dev/null 2>&1
    return
  fi
  [ -x /usr/bin/chromium ] && return 0
  for c in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$c" >/dev/null 2>&1 && return 0
  done
  return 1
}

if ! have_chromium; then
  if [ -n "${PICKET_CHROMIUM:-}" ]; then
    echo "test-deps: PICKET_CHROMIUM=$PICKET_CHROMIUM is not an executable; browser tests will skip (or fail under CI=true)." >&2
  elif can_apt; then
    echo "test-deps: installing Chromium (for the browser tests) with apt-get" >&2
    apt_install chromium
  else
    echo "test-deps: Chromium not found; browser tests will skip (or fail under CI=true)." >&2
  fi
fi
