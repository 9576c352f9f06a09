package postgres_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
)

// asOfFixture is the size of the history BenchmarkAccessAsOf builds: one connector whose history started a year
// and a day ago, 100,000 identities with one account each, 2,000 groups, five memberships and two direct grants
// an account, five grants a group, a credential for one account in five, and a year of changes: twelve an
// account (memberships, grants, status, admin flag) and four a group grant.
const (
	asOfIdentities       = 100_000
	asOfGroups           = 2_000
	asOfChangesPerAcct   = 12
	asOfChangesPerGGrant = 4
)

// asOfFixtureSQL builds the fixture in bulk, in one transaction marked as the connector's baseline (the history
// triggers skip it), then writes the year of changes into access_changes directly. $1 is the run id.
var asOfFixtureSQL = []string{
	`SELECT set_config('open_sspm.baseline', 'on', true)`,
	`INSERT INTO identities (id, kind, primary_email, display_name, status)
	 OVERRIDING SYSTEM VALUE
	 SELECT i, 'person', 'user' || i || '@example.com', 'User ' || i, 'active' FROM generate_series(1, 100000) i`,
	`INSERT INTO accounts (id, connector_id, external_id, kind, email, display_name, status, active, is_admin,
	                       seen_in_run, first_seen_at)
	 OVERRIDING SYSTEM VALUE
	 SELECT i, 'bench', 'u' || i, 'user', 'user' || i || '@example.com', 'User ' || i, 'ACTIVE', true, i % 500 = 0,
	        $1, now() - interval '400 days'
	 FROM generate_series(1, 100000) i`,
	`INSERT INTO identity_links (account_id, identity_id, reason, linked_at)
	 SELECT i, i, 'auto_email', now() - interval '400 days' FROM generate_series(1, 100000) i`,
	`INSERT INTO groups (connector_id, external_id, name, seen_in_run, first_seen_at)
	 SELECT 'bench', 'g' || g, CASE WHEN g % 100 = 0 THEN 'Admins ' || g ELSE 'Group ' || g END, $1,
	        now() - interval '400 days'
	 FROM generate_series(1, 2000) g`,
	`INSERT INTO resources (connector_id, external_id, kind, name, seen_in_run, first_seen_at)
	 SELECT 'bench', 'r' || r, 'app', 'App ' || r, $1, now() - interval '400 days' FROM generate_series(1, 5000) r`,
	`INSERT INTO group_members (connector_id, group_external_id, member_external_id, member_kind, role, seen_in_run,
	                            first_seen_at, expired_at)
	 SELECT 'bench', 'g' || (1 + (i * 7 + k * 331) % 2000), 'u' || i, 'account', 'member', $1,
	        now() - interval '400 days', CASE WHEN k = 4 AND i % 3 = 0 THEN now() - interval '30 days' END
	 FROM generate_series(1, 100000) i, generate_series(0, 4) k`,
	`INSERT INTO grants (connector_id, principal_external_id, principal_kind, resource_external_id, permission, via,
	                     seen_in_run, first_seen_at)
	 SELECT 'bench', 'u' || i, 'account', 'r' || (1 + (i * 13 + k * 977) % 5000),
	        CASE WHEN k = 1 AND i % 50 = 0 THEN 'admin' ELSE 'user' END, 'direct', $1, now() - interval '400 days'
	 FROM generate_series(1, 100000) i, generate_series(0, 1) k`,
	`INSERT INTO grants (connector_id, principal_external_id, principal_kind, resource_external_id, permission, via,
	                     seen_in_run, first_seen_at)
	 SELECT 'bench', 'g' || g, 'group', 'r' || (1 + (g * 17 + k * 1009) % 5000), 'user', 'direct', $1,
	        now() - interval '400 days'
	 FROM generate_series(1, 2000) g, generate_series(0, 4) k`,
	`INSERT INTO credentials (connector_id, external_id, kind, name, owner_external_id, scopes, seen_in_run,
	                          first_seen_at)
	 SELECT 'bench', 'c' || i, 'api_token', 'token ' || i, 'u' || i, ARRAY['okta.users.read'], $1,
	        now() - interval '400 days'
	 FROM generate_series(5, 100000, 5) i`,
	// Twelve changes an account over the year: its memberships and grants added and removed, its status and
	// admin flag changed, at random times.
	`INSERT INTO access_changes (connector_id, entity, change, observed_at, run_id, principal_kind,
	                             principal_external_id, account_id, target_kind, target_external_id, permission, via,
	                             old_value, new_value, privileged)
	 SELECT 'bench', e.entity, e.change, now() - random() * interval '365 days', $1, 'account', 'u' || i, i,
	        e.target_kind, e.target, e.permission, e.via, e.old_value, e.new_value, e.privileged
	 FROM generate_series(1, 100000) i, generate_series(0, 11) k
	 CROSS JOIN LATERAL (SELECT
	     CASE WHEN k < 4 THEN 'membership' WHEN k < 8 THEN 'grant' ELSE 'account' END AS entity,
	     CASE WHEN k < 4 THEN CASE WHEN k % 2 = 0 THEN 'membership_added' ELSE 'membership_removed' END
	          WHEN k < 8 THEN CASE WHEN k % 2 = 0 THEN 'grant_added' ELSE 'grant_removed' END
	          WHEN k < 10 THEN 'account_status_changed'
	          ELSE CASE WHEN k = 10 THEN 'account_admin_granted' ELSE 'account_admin_revoked' END END AS change,
	     CASE WHEN k < 4 THEN 'group' WHEN k < 8 THEN 'resource' ELSE '' END AS target_kind,
	     CASE WHEN k < 4 THEN 'g' || (1 + (i * 7 + k * 331) % 2000)
	          WHEN k < 8 THEN 'r' || (1 + (i * 13 + k * 977) % 5000) ELSE '' END AS target,
	     CASE WHEN k < 4 THEN 'member' WHEN k < 8 THEN 'user' ELSE '' END AS permission,
	     CASE WHEN k < 8 THEN 'direct' ELSE '' END AS via,
	     CASE WHEN k IN (8, 9) THEN 'ACTIVE' ELSE '' END AS old_value,
	     CASE WHEN k IN (8, 9) THEN 'SUSPENDED' ELSE '' END AS new_value,
	     k >= 10 AS privileged) e`,
	// Four changes a group grant over the year.
	`INSERT INTO access_changes (connector_id, entity, change, observed_at, run_id, principal_kind,
	                             principal_external_id, target_kind, target_external_id, permission, via, privileged)
	 SELECT 'bench', 'grant', CASE WHEN k % 2 = 0 THEN 'grant_added' ELSE 'grant_removed' END,
	        now() - random() * interval '365 days', $1, 'group', 'g' || g, 'resource',
	        'r' || (1 + (g * 17 + (k % 5) * 1009) % 5000), 'user', 'direct', false
	 FROM generate_series(1, 2000) g, generate_series(0, 19) k`,
}

// BenchmarkAccessAsOf measures "the access of identity X as of date D" at 100,000 identities with a year of
// history (docs/access-history.md): each iteration asks for a random identity at a random time of the last
// year, and the benchmark reports the 50th and 95th percentile of one answer's latency.
func BenchmarkAccessAsOf(b *testing.B) {
	ctx := context.Background()
	db := postgrestest.New(b)
	newConnector(b, db, "bench")
	buildAsOfFixture(b, db)
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now()
	var lat []time.Duration
	held := 0
	for b.Loop() {
		id := 1 + rng.Int64N(asOfIdentities)
		at := now.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
		start := time.Now()
		got, err := db.AccessAsOf(ctx, id, at)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if len(got.Accounts) == 1 {
			held += len(got.Accounts[0].Access)
		}
	}
	if held == 0 {
		b.Fatal("no answer held any access: the fixture is not what the benchmark measures")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(float64(held)/float64(len(lat)), "held/op")
}

func buildAsOfFixture(b *testing.B, db *postgres.DB) {
	b.Helper()
	ctx := context.Background()
	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var run int64
	if err := tx.QueryRow(ctx, `INSERT INTO sync_runs (connector_id, lane, trigger, status, started_at, finished_at)
		VALUES ('bench', 'full', 'manual', 'succeeded', now() - interval '366 days', now() - interval '366 days')
		RETURNING id`).Scan(&run); err != nil {
		b.Fatal(err)
	}
	for i, q := range asOfFixtureSQL {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{run}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			b.Fatalf("fixture statement %d: %v", i, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}
