package postgres

import "github.com/picket-dev/picket/internal/store/sqlstore"

// dialect is PostgreSQL's: $n placeholders, native TIMESTAMPTZ/BOOLEAN/BYTEA
// types, and row locks (SELECT … FOR UPDATE) so concurrent commits merging
// into the same finding serialize on that row. Migrations take a
// transaction-scoped advisory lock so concurrent Opens migrate once.
//
// The finding body is TEXT rather than JSONB: JSONB rejects \u0000, which
// attacker-controlled event fields can carry into a finding.
var dialect = sqlstore.Dialect{
	Name:          "postgres",
	Numbered:      true,
	RowLocks:      true,
	MigrationLock: `SELECT pg_advisory_xact_lock(7398216001)`, // any constant unique to Picket's schema
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied_at TIMESTAMPTZ NOT NULL
	)`,
	Migrations: []sqlstore.Migration{
		{Version: 1, Name: "initial schema", Statements: []string{
			`CREATE TABLE findings (
				id TEXT PRIMARY KEY,
				type TEXT NOT NULL,
				severity DOUBLE PRECISION NOT NULL,
				account_id TEXT NOT NULL,
				region TEXT NOT NULL,
				resource_type TEXT NOT NULL,
				title TEXT NOT NULL,
				count BIGINT NOT NULL,
				first_seen TIMESTAMPTZ NOT NULL,
				last_seen TIMESTAMPTZ NOT NULL,
				created_at TIMESTAMPTZ NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL,
				archived BOOLEAN NOT NULL DEFAULT FALSE,
				key_resource TEXT NOT NULL DEFAULT '',
				key_actor TEXT NOT NULL DEFAULT '',
				body TEXT NOT NULL
			)`,
			`CREATE INDEX findings_updated_at ON findings (updated_at)`,
			`CREATE INDEX findings_account_id ON findings (account_id)`,
			`CREATE INDEX findings_type ON findings (type)`,
			`CREATE TABLE evidence (
				finding_id TEXT NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
				event_id TEXT NOT NULL,
				event_time TIMESTAMPTZ NOT NULL,
				source TEXT NOT NULL,
				path TEXT NOT NULL,
				record_index BIGINT NOT NULL,
				byte_offset BIGINT NOT NULL,
				raw BYTEA,
				PRIMARY KEY (finding_id, event_id)
			)`,
			`CREATE TABLE quarantine (
				id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				source TEXT NOT NULL,
				path TEXT NOT NULL,
				record_index BIGINT NOT NULL,
				byte_offset BIGINT NOT NULL,
				line BIGINT NOT NULL,
				format TEXT NOT NULL,
				reason TEXT NOT NULL,
				sample BYTEA,
				created_at TIMESTAMPTZ NOT NULL,
				UNIQUE (source, path, record_index)
			)`,
			`CREATE INDEX quarantine_created_at ON quarantine (created_at)`,
			`CREATE TABLE checkpoints (
				source TEXT NOT NULL,
				object_key TEXT NOT NULL,
				position BIGINT NOT NULL,
				byte_offset BIGINT NOT NULL,
				size BIGINT NOT NULL,
				mod_time TIMESTAMPTZ NOT NULL,
				done BOOLEAN NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL,
				PRIMARY KEY (source, object_key)
			)`,
		}},
		{Version: 2, Name: "checkpoint file identity", Statements: []string{
			`ALTER TABLE checkpoints ADD COLUMN file_id TEXT NOT NULL DEFAULT ''`,
		}},
		{Version: 3, Name: "routing and notification", Statements: []string{
			`ALTER TABLE findings ADD COLUMN version BIGINT NOT NULL DEFAULT 0`,
			`ALTER TABLE findings ADD COLUMN routed_version BIGINT NOT NULL DEFAULT 0`,
			`CREATE INDEX findings_unrouted ON findings (updated_at) WHERE version > routed_version`,
			`CREATE TABLE notify_state (
				finding_id TEXT NOT NULL,
				target TEXT NOT NULL,
				severity DOUBLE PRECISION NOT NULL,
				count BIGINT NOT NULL,
				notified_at TIMESTAMPTZ NOT NULL,
				thread TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (finding_id, target)
			)`,
			`CREATE TABLE outbox (
				id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				dedup_key TEXT NOT NULL UNIQUE,
				target TEXT NOT NULL,
				finding_id TEXT NOT NULL,
				group_key TEXT NOT NULL,
				payload TEXT NOT NULL,
				state TEXT NOT NULL,
				attempts INTEGER NOT NULL DEFAULT 0,
				not_before TIMESTAMPTZ NOT NULL,
				lease_owner TEXT NOT NULL DEFAULT '',
				lease_until TIMESTAMPTZ,
				last_error TEXT NOT NULL DEFAULT '',
				created_at TIMESTAMPTZ NOT NULL,
				sent_at TIMESTAMPTZ
			)`,
			`CREATE INDEX outbox_due ON outbox (not_before) WHERE state = 'pending'`,
			`CREATE TABLE suppression_rules (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				owner TEXT NOT NULL,
				reason TEXT NOT NULL,
				criteria TEXT NOT NULL,
				expires_at TIMESTAMPTZ,
				created_at TIMESTAMPTZ NOT NULL,
				created_by TEXT NOT NULL
			)`,
			`CREATE TABLE suppression_audit (
				id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				rule_id TEXT NOT NULL,
				action TEXT NOT NULL,
				actor TEXT NOT NULL,
				at TIMESTAMPTZ NOT NULL,
				detail TEXT NOT NULL
			)`,
		}},
		{Version: 4, Name: "incidents", Statements: []string{
			`ALTER TABLE outbox ADD COLUMN thread_of TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE incidents (
				incident_key TEXT NOT NULL,
				target TEXT NOT NULL,
				finding_id TEXT NOT NULL,
				at TIMESTAMPTZ NOT NULL,
				PRIMARY KEY (incident_key, target)
			)`,
		}},
		{Version: 5, Name: "alerts", Statements: []string{
			`ALTER TABLE outbox ADD COLUMN alert_id TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE alerts (
				id TEXT PRIMARY KEY,
				finding_id TEXT NOT NULL,
				account_id TEXT NOT NULL,
				type TEXT NOT NULL,
				severity DOUBLE PRECISION NOT NULL,
				route TEXT NOT NULL,
				state TEXT NOT NULL,
				created_at TIMESTAMPTZ NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL,
				body TEXT NOT NULL
			)`,
			`CREATE INDEX alerts_state ON alerts (state, updated_at)`,
			`CREATE INDEX alerts_account ON alerts (account_id)`,
			`CREATE TABLE alert_history (
				id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				alert_id TEXT NOT NULL,
				kind TEXT NOT NULL,
				actor TEXT NOT NULL,
				at TIMESTAMPTZ NOT NULL,
				from_state TEXT NOT NULL,
				to_state TEXT NOT NULL,
				reason TEXT NOT NULL,
				note TEXT NOT NULL
			)`,
			`CREATE INDEX alert_history_alert ON alert_history (alert_id, id)`,
		}},
		{Version: 6, Name: "jobs", Statements: []string{
			`CREATE TABLE jobs (
				id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				kind TEXT NOT NULL,
				job_key TEXT NOT NULL UNIQUE,
				payload TEXT NOT NULL,
				run_at TIMESTAMPTZ NOT NULL,
				state TEXT NOT NULL,
				attempts INTEGER NOT NULL DEFAULT 0,
				lease_owner TEXT NOT NULL DEFAULT '',
				lease_until TIMESTAMPTZ,
				last_error TEXT NOT NULL DEFAULT '',
				created_at TIMESTAMPTZ NOT NULL
			)`,
			`CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'pending'`,
		}},
		{Version: 7, Name: "stored events and detector state", Statements: []string{
			`CREATE TABLE events (
				id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
				event_time TIMESTAMPTZ NOT NULL,
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
				raw BYTEA
			)`,
			`CREATE INDEX events_time ON events (event_time)`,
			`CREATE INDEX events_account_time ON events (account_id, event_time)`,
			`CREATE INDEX events_actor_time ON events (actor, event_time)`,
			`CREATE INDEX events_ip_time ON events (src_ip_key, event_time)`,
			`CREATE TABLE detector_state (
				detector TEXT NOT NULL,
				state_key TEXT NOT NULL,
				value BYTEA NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL,
				PRIMARY KEY (detector, state_key)
			)`,
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
		{Version: 9, Name: "related findings", Statements: []string{
			`CREATE INDEX findings_account_actor ON findings (account_id, key_actor)`,
			`CREATE INDEX findings_account_resource ON findings (account_id, key_resource)`,
		}},
		{Version: 10, Name: "severity within accounts", Statements: []string{
			// Counts of a scope's findings by severity read the index only.
			`CREATE INDEX findings_account_severity ON findings (account_id, severity)`,
		}},
	},
}
