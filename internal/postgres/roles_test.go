package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
)

// asRole connects to url's database as role (the test server trusts local connections, as Aurora trusts an
// IAM token).
func asRole(t *testing.T, url, role string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = role, ""
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func denied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501" // insufficient_privilege
}

// TestFunctionRoles: on plain PostgreSQL (no rds_iam role) the roles are created without the rds_iam grant;
// running it again changes nothing; each role may do what its function does and no more.
func TestFunctionRoles(t *testing.T) {
	url := postgrestest.URL(t)
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 2 { // idempotent
		iam, err := db.EnsureFunctionRoles(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if iam {
			t.Fatal("rds_iam granted on a server without the rds_iam role")
		}
	}
	tests := []struct {
		role    string
		allowed []string
		refused []string
	}{
		{"webhook",
			[]string{`SELECT id, webhook_secret FROM connectors`, `SELECT version_id FROM goose_db_version`},
			[]string{`SELECT 1 FROM accounts`, `UPDATE connectors SET name = name`, `SELECT 1 FROM users`,
				`INSERT INTO events (connector_id) VALUES ('x')`, `SELECT 1 FROM findings`}},
		{"dispatch",
			[]string{`SELECT 1 FROM lane_schedules`, `UPDATE sync_runs SET status = status`},
			[]string{`SELECT 1 FROM accounts`, `UPDATE connectors SET name = name`, `SELECT 1 FROM users`}},
		{"full",
			[]string{`DELETE FROM accounts WHERE false`, `UPDATE sync_runs SET status = status`, `SELECT 1 FROM identities`},
			[]string{`UPDATE connectors SET name = name`, `SELECT 1 FROM users`, `SELECT 1 FROM admin_audit`, `DELETE FROM findings`}},
		{"tail",
			[]string{`DELETE FROM events WHERE false`, `UPDATE tail_cursors SET cursor = cursor`},
			[]string{`DELETE FROM connectors`, `SELECT 1 FROM users`, `UPDATE findings SET status = status`}},
		{"inbox",
			[]string{`DELETE FROM event_targets WHERE false`},
			[]string{`SELECT 1 FROM users`, `DELETE FROM sync_runs`}},
		{"evaluator",
			[]string{`UPDATE findings SET status = status`, `DELETE FROM alert_outbox WHERE false`, `SELECT 1 FROM accounts`},
			[]string{`DELETE FROM accounts`, `UPDATE connectors SET name = name`, `SELECT 1 FROM users`}},
		{"api",
			[]string{`SELECT 1 FROM users`, `DELETE FROM accounts WHERE false`, `INSERT INTO admin_audit (actor, action) SELECT 'a', 'b' WHERE false`},
			[]string{`CREATE TABLE t (x int)`, `DROP TABLE accounts`, `CREATE ROLE someone`}},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			conn := asRole(t, url, postgres.FunctionRoles[tt.role].Name)
			for _, q := range tt.allowed {
				if _, err := conn.Exec(t.Context(), q); err != nil {
					t.Errorf("%s: %v, want allowed", q, err)
				}
			}
			for _, q := range append(tt.refused, `CREATE TABLE t (x int)`, `ALTER TABLE connectors ADD COLUMN x int`) {
				if _, err := conn.Exec(t.Context(), q); !denied(err) {
					t.Errorf("%s: %v, want permission denied", q, err)
				}
			}
		})
	}
}

// TestFunctionRolesCoverEveryTable: every table and view of the schema is placed in the grants of at least one
// function role (postgres.FunctionRoles), so that a new table is a decision, not an accident; and every role
// can read the schema version.
func TestFunctionRolesCoverEveryTable(t *testing.T) {
	db := postgrestest.New(t)
	rows, err := db.Pool().Query(t.Context(), `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	granted := map[string]bool{}
	for fn, r := range postgres.FunctionRoles {
		reads := false
		for _, ts := range r.Grants {
			for _, tb := range ts {
				granted[tb] = true
				reads = reads || tb == "goose_db_version"
			}
		}
		if !reads {
			t.Errorf("%s: cannot read goose_db_version (the schema check)", fn)
		}
	}
	for _, tb := range tables {
		if !granted[tb] {
			t.Errorf("table %s is in no function role's grants (internal/postgres/roles.go)", tb)
		}
	}
	for tb := range granted {
		if !slices.Contains(tables, tb) {
			t.Errorf("function roles grant on %s, which the schema does not have", tb)
		}
	}
}
