// Package postgres opens Picket's store on PostgreSQL, through pgx's
// database/sql driver, implemented by store/sqlstore. Errors never carry the
// DSN's password.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlstore"
)

// Open connects to the PostgreSQL database named by dsn (a URL or
// keyword=value string, as libpq accepts) and migrates its schema.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	secrets := passwords(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx echoes the DSN with passwords masked on a best-effort basis
		// only (a malformed DSN can defeat it): drop the echo, scrub the
		// rest, and keep no chain to the original.
		msg := err.Error()
		if pce := (*pgconn.ParseConfigError)(nil); errors.As(err, &pce) {
			if i := strings.LastIndex(msg, "`: "); i >= 0 {
				msg = msg[i+3:]
			}
		}
		return nil, errors.New(scrub("opening postgres store: invalid DSN: "+msg, secrets))
	}
	secrets = append(secrets, cfg.Password) // also from PGPASSWORD or a passfile
	where := describe(cfg)
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, redact(fmt.Errorf("opening postgres store %s: %w", where, err), secrets)
	}
	s, err := sqlstore.New(ctx, db, dialect)
	if err != nil {
		db.Close()
		return nil, redact(fmt.Errorf("opening postgres store %s: %w", where, err), secrets)
	}
	return s, nil
}

// describe names the database without credentials, for error messages.
func describe(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// redactedError is an error whose text has the DSN's passwords removed. It
// still unwraps to its cause so errors.Is works (context.Canceled, …); pgx's
// connection errors name the user, host and database but not the password.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redact(err error, secrets []string) error {
	return &redactedError{msg: scrub(err.Error(), secrets), err: err}
}

// scrub replaces every secret, raw or URL-escaped, in s.
func scrub(s string, secrets []string) string {
	var all []string
	for _, p := range secrets {
		if p != "" {
			all = append(all, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	slices.SortFunc(all, func(a, b string) int { return len(b) - len(a) })
	for _, p := range all {
		s = strings.ReplaceAll(s, p, "xxxxx")
	}
	return s
}

var keywordPassword = regexp.MustCompile(`(?i)(?:^|[\s&?])password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]*)`)

// passwords finds what may be a password in dsn even when it does not parse:
// the userinfo of a URL and any password= value.
func passwords(dsn string) []string {
	var out []string
	add := func(p string) {
		if p == "" {
			return
		}
		out = append(out, p)
		if u, err := url.PathUnescape(p); err == nil && u != p {
			out = append(out, u)
		}
	}
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				add(pw)
			}
		}
	}
	for _, m := range keywordPassword.FindAllStringSubmatch(dsn, -1) {
		p := m[1]
		if len(p) >= 2 && p[0] == '\'' && p[len(p)-1] == '\'' {
			p = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(p[1 : len(p)-1])
		}
		add(p)
	}
	return out
}
