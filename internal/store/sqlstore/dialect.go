package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Dialect is what differs between the SQL engines the Store runs on. Queries
// are written once with ? placeholders; SQL type differences live in each
// engine's Migrations.
type Dialect struct {
	// Name is the engine's name, used in error messages.
	Name string
	// Numbered selects $1, $2, … placeholders (PostgreSQL) instead of ?.
	Numbered bool
	// RowLocks appends FOR UPDATE to the reads Commit and SetArchived merge
	// into. Engines whose write transactions lock the whole database
	// (SQLite with _txlock=immediate) leave it off.
	RowLocks bool
	// TextTime stores times as fixed-width RFC 3339 UTC text, which sorts
	// and compares correctly as text, for engines without a time type.
	TextTime bool
	// FindingsText, when set, names an FTS5 table (tokenize = 'trigram')
	// with a row (id, type, title, key_actor, key_resource) for every
	// finding, kept by the engine's migrations: a FindingQuery.Text of
	// three or more characters first selects its matches there, the
	// candidates the LIKE conditions then check. Extra rows only add
	// candidates; a finding missing from it would be missed.
	FindingsText string
	// MigrationLock, when set, is executed first in every migration
	// transaction so that concurrent Opens of one database migrate it once.
	MigrationLock string
	// MigrationsTable creates the schema_migrations(version, applied_at)
	// table if it does not exist.
	MigrationsTable string
	// Migrations is the engine's schema history, in ascending Version order.
	Migrations []Migration
}

// Migration is one versioned schema change, applied in one transaction.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// textTimeLayout has a fixed width (nanoseconds always written) so that
// stored times order and compare correctly as strings.
const textTimeLayout = "2006-01-02T15:04:05.000000000Z"

// rebind rewrites ? placeholders as $n when the dialect numbers them. A ?
// inside a quoted literal is left alone.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// forUpdate is the row-locking suffix of a read that is merged into.
func (d *Dialect) forUpdate() string {
	if d.RowLocks {
		return " FOR UPDATE"
	}
	return ""
}

// args converts query arguments to what the engine stores: times in UTC (as
// text where the engine has no time type), and strings made valid UTF-8
// without NUL bytes, which PostgreSQL's TEXT rejects — values such as file
// paths and error messages come from untrusted input, and one bad byte must
// not make every later commit fail.
func (d *Dialect) args(in []any) []any {
	out := make([]any, len(in))
	for i, a := range in {
		switch v := a.(type) {
		case time.Time:
			if d.TextTime {
				out[i] = v.UTC().Format(textTimeLayout)
			} else {
				out[i] = v.UTC()
			}
		case string:
			out[i] = cleanText(v)
		default:
			out[i] = a
		}
	}
	return out
}

func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// utcTime scans a time stored either natively or as text, as UTC.
type utcTime struct{ t *time.Time }

func (u utcTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*u.t = time.Time{}
	case time.Time:
		*u.t = v.UTC()
	case string:
		return u.parse(v)
	case []byte:
		return u.parse(string(v))
	default:
		return fmt.Errorf("cannot scan %T into a time", v)
	}
	return nil
}

func (u utcTime) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*u.t = t.UTC()
	return nil
}
