package discovery_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/discovery"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Migration 00110 re-keys evidence stored under the earlier keys ("id:<app id>", "domain:<raw domain>",
// "name:<name>") to the canonical key discovery.CanonicalKey gives, merging the rows that come to share a key.
func TestMigrationRekeysStoredEvidenceToTheCanonicalKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	for _, c := range []sspm.Connector{
		{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true},
		{ID: "entra-1", Kind: sspm.KindEntra, Name: "Entra", Enabled: true},
	} {
		if _, err := db.CreateConnector(ctx, c, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	type row struct {
		connector, oldKey, appID, appName, domain, actor string
		occurrences                                      int
	}
	rows := []row{
		{"okta-1", "id:0oaASANA", "0oaASANA", "Asana", "https://app.asana.com/login", "u1", 3},
		{"okta-1", "domain:www.asana.com", "", "Asana", "www.asana.com", "u1", 2}, // merges with the row above
		{"okta-1", "id:0oaWiki", "0oaWiki", "Internal Wiki", "", "u2", 1},
		{"okta-1", "id:0oaBBC", "0oaBBC", "BBC", "news.bbc.co.uk:443", "u3", 1},
		{"okta-1", "domain:10.0.0.7", "", "Printer", "10.0.0.7", "u4", 1},
		{"entra-1", "id:1B4F0E2A-7C3D-4E5F-8A9B-0C1D2E3F4A5B", "1B4F0E2A-7C3D-4E5F-8A9B-0C1D2E3F4A5B", "Graph Explorer", "", "u5", 1},
		{"entra-1", "name:my tool", "", "My Tool!", "", "u6", 1},
	}
	now := time.Now().UTC().Truncate(time.Second)
	for i, r := range rows {
		_, err := db.Pool().Exec(ctx, `INSERT INTO saas_app_evidence (connector_id, kind, app_key, app_id, app_name, domain, actor_key,
			actor_id, scopes, occurrences, first_seen_at, last_seen_at, last_event_id)
			VALUES ($1, 'sso', $2, $3, $4, $5, 'id:' || $6, $6, ARRAY['s' || $7::text], $8, $9, $9, 'ev' || $7::text)`,
			r.connector, r.oldKey, r.appID, r.appName, r.domain, r.actor, strconv.Itoa(i), r.occurrences, now.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
	}
	up, err := os.ReadFile("../postgres/migrations/00110_evidence_canonical_app_key.sql")
	if err != nil {
		t.Fatal(err)
	}
	upSQL, _, _ := strings.Cut(string(up), "-- +goose Down")
	if _, err := db.Pool().Exec(ctx, upSQL); err != nil {
		t.Fatalf("migration: %v", err)
	}

	want := map[string]int{} // canonical key + actor → occurrences
	kinds := map[string]sspm.Kind{"okta-1": sspm.KindOkta, "entra-1": sspm.KindEntra}
	for _, r := range rows {
		k := discovery.CanonicalKey(discovery.AppRef{Source: kinds[r.connector], SourceName: r.connector, AppID: r.appID, AppName: r.appName, Domain: r.domain})
		want[r.connector+" "+k+" "+r.actor] += r.occurrences
	}
	got := map[string]int{}
	res, err := db.Pool().Query(ctx, `SELECT connector_id, app_key, actor_id, occurrences, array_length(scopes, 1), last_event_id FROM saas_app_evidence`)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	for res.Next() {
		var conn, key, actor, lastEvent string
		var n, scopes int
		if err := res.Scan(&conn, &key, &actor, &n, &scopes, &lastEvent); err != nil {
			t.Fatal(err)
		}
		got[conn+" "+key+" "+actor] = n
		if key == "domain:asana.com" && (scopes != 2 || lastEvent != "ev1") {
			t.Errorf("merged asana row: %d scopes, last event %s; want both rows' scopes and the newer event ev1", scopes, lastEvent)
		}
	}
	if res.Err() != nil {
		t.Fatal(res.Err())
	}
	if len(got) != len(want) {
		t.Fatalf("after the migration: %v\nwant %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d occurrences, want %d (all: %v)", k, got[k], n, got)
		}
	}
}
