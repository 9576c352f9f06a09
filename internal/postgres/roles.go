package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Privileges a function role may hold on a table.
const (
	privRead  = "SELECT"
	privWrite = "SELECT, INSERT, UPDATE"
	privAll   = "SELECT, INSERT, UPDATE, DELETE"
	privPrune = "SELECT, DELETE"
)

// Tables by what they hold. Every table of the schema is in exactly one group (TestFunctionRolesCoverEveryTable):
// a new table must be placed before any function role may touch it.
var (
	// tablesRuns: connectors, their push hook registrations and the lanes' bookkeeping.
	tablesRuns = []string{"connectors", "push_hooks", "lane_schedules", "sync_runs", "lane_watermarks", "tail_cursors"}
	// tablesInventory: what the syncs store, the identity graph, discovery, and the providers' HTTP cache.
	tablesInventory = []string{"accounts", "groups", "group_members", "resources", "grants", "credentials",
		"datasets", "saas_app_evidence", "identities", "identity_links", "saas_apps", "saas_app_bindings",
		"http_cache", "access_changes"}
	// tablesEvents: events pushed or tailed, the local push queue and inbox.
	tablesEvents = []string{"events", "event_targets", "inbox", "queue_messages"}
	// tablesPosture: rules, their results, findings and the finding alert outbox.
	tablesPosture = []string{"rulesets", "rules", "rule_results", "rule_evaluations", "rule_overrides",
		"attestations", "findings", "alert_outbox"}
	// tablesAdmin: local users, their sign-in sessions and the admin audit trail, for the admin API alone.
	tablesAdmin = []string{"users", "user_sessions", "admin_audit"}
	// tablesSchema: the migrations' version table, which every function reads to check the schema.
	tablesSchema = []string{"goose_db_version"}
)

// FunctionRole is the database role one Lambda function connects as (IAM database authentication): a login role
// with no password, granted rds_iam on Aurora, and only the table privileges the function needs. No function
// role owns anything or may create objects; the migrate function keeps the master user.
type FunctionRole struct {
	Name   string
	Grants map[string][]string // privileges → tables
}

// FunctionRoles are the roles of the Lambda functions, by function name (infra/stack names the same roles).
var FunctionRoles = map[string]FunctionRole{
	// webhook: reads a connector and its sealed webhook secret; queues deliveries in SQS.
	"webhook": {Name: "open_sspm_webhook", Grants: map[string][]string{
		privRead: join(tablesSchema, []string{"connectors"}),
	}},
	// dispatch: lists due connectors (locking their schedules) and closes stale runs.
	"dispatch": {Name: "open_sspm_dispatch", Grants: map[string][]string{
		privRead:  join(tablesSchema, []string{"connectors", "tail_cursors"}),
		privWrite: {"sync_runs", "lane_schedules"}, // due work is read FOR UPDATE
	}},
	// full, discovery: run syncs into the inventory and link identities.
	"full":      syncRole("open_sspm_full"),
	"discovery": syncRole("open_sspm_discovery"),
	// tail, inbox: store events and refresh what they touched.
	"tail":  eventRole("open_sspm_tail"),
	"inbox": eventRole("open_sspm_inbox"),
	// evaluator: reads everything it evaluates, writes results, findings and alerts.
	"evaluator": {Name: "open_sspm_evaluator", Grants: map[string][]string{
		privRead:  join(tablesSchema, tablesRuns, tablesInventory, tablesEvents),
		privAll:   tablesPosture,
		privWrite: {"lane_watermarks", "lane_schedules"}, // its watermark and its own activity on the schedule
		privPrune: {"access_changes"},                    // the access history's retention step
	}},
	// api: the admin API changes connectors, rules, findings and users, and deletes a connector's inventory.
	"api": {Name: "open_sspm_api", Grants: map[string][]string{
		privRead: tablesSchema,
		privAll:  join(tablesRuns, tablesInventory, tablesEvents, tablesPosture, tablesAdmin),
	}},
}

// syncRole and eventRole read the push hook registrations: a kind whose subscriptions expire renews them from
// a scheduled step (connector.Hooks); registering is the api's.
func syncRole(name string) FunctionRole {
	return FunctionRole{Name: name, Grants: map[string][]string{
		privRead:  join(tablesSchema, []string{"connectors", "push_hooks"}, tablesEvents, tablesPosture),
		privWrite: {"lane_schedules", "sync_runs", "lane_watermarks", "tail_cursors"},
		privAll:   tablesInventory,
	}}
}

func eventRole(name string) FunctionRole {
	return FunctionRole{Name: name, Grants: map[string][]string{
		privRead:  join(tablesSchema, []string{"connectors", "push_hooks", "lane_schedules", "sync_runs"}, tablesPosture),
		privWrite: {"tail_cursors", "lane_watermarks"},
		privAll:   join(tablesInventory, tablesEvents),
	}}
}

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// EnsureFunctionRoles creates the function roles that do not exist yet and sets each one's privileges in this
// database to exactly FunctionRoles (revoking what it held before, in the same transaction, so a function never
// sees a moment without its privileges). On Aurora and RDS, where the rds_iam role exists, each role is granted
// rds_iam so that it signs in with IAM authentication tokens only; elsewhere (plain PostgreSQL) that grant is
// skipped. The caller must be able to create roles and grant on every table (the master user). It returns
// whether rds_iam was granted.
func (db *DB) EnsureFunctionRoles(ctx context.Context) (iam bool, err error) {
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam')`).Scan(&iam); err != nil {
		return false, fmt.Errorf("function roles: %w", err)
	}
	names := make([]string, 0, len(FunctionRoles))
	for _, r := range FunctionRoles {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := db.createRole(ctx, name); err != nil {
			return iam, err
		}
	}
	rows, err := db.pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		return iam, fmt.Errorf("function roles: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return iam, fmt.Errorf("function roles: %w", err)
	}
	exists := map[string]bool{}
	for _, n := range tables {
		exists[n] = true
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Concurrent grants on one table fail ("tuple concurrently updated"): one caller at a time.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('open-sspm function roles'))`); err != nil {
			return err
		}
		for _, fn := range slices.Sorted(maps.Keys(FunctionRoles)) {
			if err := grantRole(ctx, tx, FunctionRoles[fn], exists, iam); err != nil {
				return fmt.Errorf("function role %s: %w", FunctionRoles[fn].Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return iam, fmt.Errorf("function roles: %w", err)
	}
	return iam, nil
}

// createRole creates a login role without a password unless it exists. Roles are shared by every database of
// the server, so another database's migration may create it at the same moment: that is not an error.
func (db *DB) createRole(ctx context.Context, name string) error {
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("function role %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err := db.pool.Exec(ctx, "CREATE ROLE "+ident(name)+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT")
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42710" || pgErr.Code == "23505") { // duplicate_object, unique_violation
		return nil
	}
	if err != nil {
		return fmt.Errorf("create function role %s: %w", name, err)
	}
	return nil
}

// grantRole sets one role's privileges on the public schema's tables and sequences. A listed table the schema
// does not have (yet, or any more) is skipped rather than failing a deploy; TestFunctionRolesCoverEveryTable
// keeps the list and the schema equal.
func grantRole(ctx context.Context, tx pgx.Tx, r FunctionRole, exists map[string]bool, iam bool) error {
	role := ident(r.Name)
	stmts := []string{
		"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM " + role,
		"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM " + role,
		"GRANT USAGE ON SCHEMA public TO " + role,
	}
	inserts := false
	for _, priv := range slices.Sorted(maps.Keys(r.Grants)) {
		var quoted []string
		for _, t := range r.Grants[priv] {
			if exists[t] {
				quoted = append(quoted, ident(t))
			}
		}
		if len(quoted) == 0 {
			continue
		}
		stmts = append(stmts, "GRANT "+priv+" ON TABLE "+strings.Join(quoted, ", ")+" TO "+role)
		inserts = inserts || strings.Contains(priv, "INSERT")
	}
	if inserts { // identity and serial columns draw from sequences
		stmts = append(stmts, "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "+role)
	}
	if iam {
		stmts = append(stmts, "GRANT rds_iam TO "+role)
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }
