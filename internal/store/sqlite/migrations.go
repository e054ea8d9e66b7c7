package sqlite

import "github.com/picket-dev/picket/internal/store/sqlstore"

// dialect is SQLite's: ? placeholders, times as fixed-width RFC 3339 text,
// booleans as 0/1, no row locks (an IMMEDIATE transaction already holds the
// database's write lock). Tables are STRICT so a wrongly typed value is an
// error rather than silently stored.
var dialect = sqlstore.Dialect{
	Name:         "sqlite",
	TextTime:     true,
	FindingsText: "findings_text",
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	) STRICT`,
	Migrations: []sqlstore.Migration{
		{Version: 1, Name: "initial schema", Statements: []string{
			`CREATE TABLE findings (
				id TEXT PRIMARY KEY,
				type TEXT NOT NULL,
				severity REAL NOT NULL,
				account_id TEXT NOT NULL,
				region TEXT NOT NULL,
				resource_type TEXT NOT NULL,
				title TEXT NOT NULL,
				count INTEGER NOT NULL,
				first_seen TEXT NOT NULL,
				last_seen TEXT NOT NULL,
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL,
				archived INTEGER NOT NULL DEFAULT 0,
				key_resource TEXT NOT NULL DEFAULT '',
				key_actor TEXT NOT NULL DEFAULT '',
				body TEXT NOT NULL
			) STRICT`,
			`CREATE INDEX findings_updated_at ON findings (updated_at)`,
			`CREATE INDEX findings_account_id ON findings (account_id)`,
			`CREATE INDEX findings_type ON findings (type)`,
			`CREATE TABLE evidence (
				finding_id TEXT NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
				event_id TEXT NOT NULL,
				event_time TEXT NOT NULL,
				source TEXT NOT NULL,
				path TEXT NOT NULL,
				record_index INTEGER NOT NULL,
				byte_offset INTEGER NOT NULL,
				raw BLOB,
				PRIMARY KEY (finding_id, event_id)
			) STRICT`,
			`CREATE TABLE quarantine (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				source TEXT NOT NULL,
				path TEXT NOT NULL,
				record_index INTEGER NOT NULL,
				byte_offset INTEGER NOT NULL,
				line INTEGER NOT NULL,
				format TEXT NOT NULL,
				reason TEXT NOT NULL,
				sample BLOB,
				created_at TEXT NOT NULL,
				UNIQUE (source, path, record_index)
			) STRICT`,
			`CREATE INDEX quarantine_created_at ON quarantine (created_at)`,
			`CREATE TABLE checkpoints (
				source TEXT NOT NULL,
				object_key TEXT NOT NULL,
				position INTEGER NOT NULL,
				byte_offset INTEGER NOT NULL,
				size INTEGER NOT NULL,
				mod_time TEXT NOT NULL,
				done INTEGER NOT NULL,
				updated_at TEXT NOT NULL,
				PRIMARY KEY (source, object_key)
			) STRICT`,
		}},
		{Version: 2, Name: "checkpoint file identity", Statements: []string{
			`ALTER TABLE checkpoints ADD COLUMN file_id TEXT NOT NULL DEFAULT ''`,
		}},
		{Version: 3, Name: "routing and notification", Statements: []string{
			`ALTER TABLE findings ADD COLUMN version INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE findings ADD COLUMN routed_version INTEGER NOT NULL DEFAULT 0`,
			`CREATE INDEX findings_unrouted ON findings (updated_at) WHERE version > routed_version`,
			`CREATE TABLE notify_state (
				finding_id TEXT NOT NULL,
				target TEXT NOT NULL,
				severity REAL NOT NULL,
				count INTEGER NOT NULL,
				notified_at TEXT NOT NULL,
				thread TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (finding_id, target)
			) STRICT`,
			`CREATE TABLE outbox (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				dedup_key TEXT NOT NULL UNIQUE,
				target TEXT NOT NULL,
				finding_id TEXT NOT NULL,
				group_key TEXT NOT NULL,
				payload TEXT NOT NULL,
				state TEXT NOT NULL,
				attempts INTEGER NOT NULL DEFAULT 0,
				not_before TEXT NOT NULL,
				lease_owner TEXT NOT NULL DEFAULT '',
				lease_until TEXT,
				last_error TEXT NOT NULL DEFAULT '',
				created_at TEXT NOT NULL,
				sent_at TEXT
			) STRICT`,
			`CREATE INDEX outbox_due ON outbox (not_before) WHERE state = 'pending'`,
			`CREATE TABLE suppression_rules (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				owner TEXT NOT NULL,
				reason TEXT NOT NULL,
				criteria TEXT NOT NULL,
				expires_at TEXT,
				created_at TEXT NOT NULL,
				created_by TEXT NOT NULL
			) STRICT`,
			`CREATE TABLE suppression_audit (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				rule_id TEXT NOT NULL,
				action TEXT NOT NULL,
				actor TEXT NOT NULL,
				at TEXT NOT NULL,
				detail TEXT NOT NULL
			) STRICT`,
		}},
		{Version: 4, Name: "incidents", Statements: []string{
			`ALTER TABLE outbox ADD COLUMN thread_of TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE incidents (
				incident_key TEXT NOT NULL,
				target TEXT NOT NULL,
				finding_id TEXT NOT NULL,
				at TEXT NOT NULL,
				PRIMARY KEY (incident_key, target)
			) STRICT`,
		}},
		{Version: 5, Name: "alerts", Statements: []string{
			`ALTER TABLE outbox ADD COLUMN alert_id TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE alerts (
				id TEXT PRIMARY KEY,
				finding_id TEXT NOT NULL,
				account_id TEXT NOT NULL,
				type TEXT NOT NULL,
				severity REAL NOT NULL,
				route TEXT NOT NULL,
				state TEXT NOT NULL,
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL,
				body TEXT NOT NULL
			) STRICT`,
			`CREATE INDEX alerts_state ON alerts (state, updated_at)`,
			`CREATE INDEX alerts_account ON alerts (account_id)`,
			`CREATE TABLE alert_history (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				alert_id TEXT NOT NULL,
				kind TEXT NOT NULL,
				actor TEXT NOT NULL,
				at TEXT NOT NULL,
				from_state TEXT NOT NULL,
				to_state TEXT NOT NULL,
				reason TEXT NOT NULL,
				note TEXT NOT NULL
			) STRICT`,
			`CREATE INDEX alert_history_alert ON alert_history (alert_id, id)`,
		}},
		{Version: 6, Name: "jobs", Statements: []string{
			`CREATE TABLE jobs (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				kind TEXT NOT NULL,
				job_key TEXT NOT NULL UNIQUE,
				payload TEXT NOT NULL,
				run_at TEXT NOT NULL,
				state TEXT NOT NULL,
				attempts INTEGER NOT NULL DEFAULT 0,
				lease_owner TEXT NOT NULL DEFAULT '',
				lease_until TEXT,
				last_error TEXT NOT NULL DEFAULT '',
				created_at TEXT NOT NULL
			) STRICT`,
			`CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'pending'`,
		}},
		{Version: 7, Name: "stored events and detector state", Statements: []string{
			`CREATE TABLE events (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				event_time TEXT NOT NULL,
				account_id TEXT NOT NULL,
				region TEXT NOT NULL,
				source_kind TEXT NOT NULL,
				source TEXT NOT NULL,
				event_id TEXT NOT NULL,
				actor TEXT NOT NULL,
				src_ip TEXT NOT NULL,
				src_ip_key TEXT NOT NULL,
				action TEXT NOT NULL,
				service TEXT NOT NULL,
				outcome TEXT NOT NULL,
				resource TEXT NOT NULL,
				raw BLOB
			) STRICT`,
			`CREATE INDEX events_time ON events (event_time)`,
			`CREATE INDEX events_account_time ON events (account_id, event_time)`,
			`CREATE INDEX events_actor_time ON events (actor, event_time)`,
			`CREATE INDEX events_ip_time ON events (src_ip_key, event_time)`,
			`CREATE TABLE detector_state (
				detector TEXT NOT NULL,
				state_key TEXT NOT NULL,
				value BLOB NOT NULL,
				updated_at TEXT NOT NULL,
				PRIMARY KEY (detector, state_key)
			) STRICT`,
		}},
		// What the console's finding filters, sorts and facets need: each
		// filter column leads an index that continues with updated_at, the
		// default order, so one account's or type's newest findings are an
		// index range read in order (and counted or grouped without
		// touching rows); severity ranges are counted, grouped by type and
		// account for facets, and severity-sorted pages read, from one
		// index; a finding's alert is found by finding ID. The two
		// single-column indexes are prefixes of their replacements.
		{Version: 8, Name: "finding filters and facets", Statements: []string{
			`DROP INDEX findings_account_id`,
			`CREATE INDEX findings_account_updated ON findings (account_id, updated_at)`,
			`DROP INDEX findings_type`,
			`CREATE INDEX findings_type_updated ON findings (type, updated_at)`,
			`CREATE INDEX findings_severity ON findings (severity, updated_at, type, account_id)`,
			`CREATE INDEX alerts_finding ON alerts (finding_id, state)`,
		}},
		// Free-text finding search (FindingQuery.Text, the console's search
		// box and the detail page's related findings): a trigram index of
		// the five searched columns finds the candidates of a substring of
		// three or more characters, which the LIKE conditions then check
		// exactly, instead of LIKE reading every finding. The index keeps
		// its own copy of the text and is joined on the finding ID, not the
		// rowid, which VACUUM may renumber; triggers keep it in step, and an
		// update rewrites it only when a searched column changed (Commit
		// rewrites every column of a merged finding). A row left behind (the
		// delete trigger finds the old row by its ID, which a trigram query
		// cannot do under three characters) only adds a candidate.
		{Version: 9, Name: "finding text index", Statements: []string{
			`CREATE VIRTUAL TABLE findings_text USING fts5(id, type, title, key_actor, key_resource, tokenize = 'trigram')`,
			`INSERT INTO findings_text (id, type, title, key_actor, key_resource)
				SELECT id, type, title, key_actor, key_resource FROM findings`,
			`CREATE TRIGGER findings_text_insert AFTER INSERT ON findings BEGIN
				INSERT INTO findings_text (id, type, title, key_actor, key_resource)
					VALUES (new.id, new.type, new.title, new.key_actor, new.key_resource);
			END`,
			`CREATE TRIGGER findings_text_delete AFTER DELETE ON findings BEGIN
				DELETE FROM findings_text WHERE findings_text MATCH 'id : "' || replace(old.id, '"', '""') || '"' AND id = old.id;
			END`,
			`CREATE TRIGGER findings_text_update AFTER UPDATE OF id, type, title, key_actor, key_resource ON findings
				WHEN old.id IS NOT new.id OR old.type IS NOT new.type OR old.title IS NOT new.title
					OR old.key_actor IS NOT new.key_actor OR old.key_resource IS NOT new.key_resource
			BEGIN
				DELETE FROM findings_text WHERE findings_text MATCH 'id : "' || replace(old.id, '"', '""') || '"' AND id = old.id;
				INSERT INTO findings_text (id, type, title, key_actor, key_resource)
					VALUES (new.id, new.type, new.title, new.key_actor, new.key_resource);
			END`,
		}},
		{Version: 10, Name: "related findings", Statements: []string{
			`CREATE INDEX findings_account_actor ON findings (account_id, key_actor)`,
			`CREATE INDEX findings_account_resource ON findings (account_id, key_resource)`,
		}},
		{Version: 11, Name: "severity within accounts", Statements: []string{
			// Counts of a scope's findings by severity read the index only.
			`CREATE INDEX findings_account_severity ON findings (account_id, severity)`,
		}},
	},
}
