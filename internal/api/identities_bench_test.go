package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// BenchmarkIdentitiesList serves GET /api/identities over HTTP (JWT verification, the store, JSON) from an org of
// 100,000 identities linked to 100,000 Okta and 30,000 GitHub accounts, with the queries the identities page sends:
// the first page, sorts, a search, flag filters, a source filter and a deep page. It reports the p50 and p95
// latency over every request (the goal: p95 under 100 ms).
func BenchmarkIdentitiesList(b *testing.B) {
	ctx := context.Background()
	db := postgrestest.New(b)
	seedIdentities(b, db, 100_000, 30_000)
	// What autovacuum does after a bulk load: statistics and a visibility map for index-only scans.
	if _, err := db.Pool().Exec(ctx, "VACUUM ANALYZE identities, identity_links, accounts"); err != nil {
		b.Fatal(err)
	}

	iss, err := auth.NewIssuer(testKey(), localIssuer, localAudience, auth.IssuerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := iss.Issue(auth.Principal{Subject: "local:1", Email: adminEmail, Role: sspm.RoleViewer})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	(&api.Admin{Store: db, Auth: iss.Verifier()}).Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	queries := []string{
		"",
		"?sort=-last_seen_at",
		"?sort=primary_email&offset=50",
		"?q=user4711",
		"?q=Example%20Person%209",
		"?privileged=true",
		"?stale=true&kind=person",
		"?anchored=false",
		"?connector=github-1",
		"?connector=github-1&privileged=true&sort=-accounts",
		"?offset=50000",
		"?limit=200&sort=-created_at",
	}
	get := func(q string) time.Duration {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/identities"+q, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		t0 := time.Now()
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %s", q, resp.StatusCode, body)
		}
		return d
	}
	for _, q := range queries { // warm the caches, as a running server has them
		get(q)
	}
	var all []time.Duration
	perQuery := make(map[string][]time.Duration, len(queries))
	b.ResetTimer()
	for b.Loop() {
		for _, q := range queries {
			d := get(q)
			all = append(all, d)
			perQuery[q] = append(perQuery[q], d)
		}
	}
	b.StopTimer()
	for _, q := range queries {
		b.Logf("%-55s p50 %6.1f ms  p95 %6.1f ms", "/api/identities"+q, ms(pct(perQuery[q], 50)), ms(pct(perQuery[q], 95)))
	}
	b.ReportMetric(ms(pct(all, 50)), "p50-ms")
	b.ReportMetric(ms(pct(all, 95)), "p95-ms")
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// seedIdentities syncs people okta accounts into an authoritative Okta connector and githubN of the same people
// (every third without an email) into a GitHub connector, then links them.
func seedIdentities(b *testing.B, db *postgres.DB, people, githubN int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	yes, no := true, false
	sync := func(id string, kind sspm.Kind, authoritative bool, n int, account func(i int) sspm.Account) {
		if _, err := db.CreateConnector(ctx, sspm.Connector{ID: id, Kind: kind, Name: id, Enabled: true, Authoritative: authoritative}, nil, ""); err != nil {
			b.Fatal(err)
		}
		_, lease, _, err := db.StartRun(ctx, id, sspm.LaneFull, sspm.TriggerManual, "bench", time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		for start := 0; start < n; start += 5000 {
			accts := make([]sspm.Account, 0, 5000)
			for i := start; i < min(start+5000, n); i++ {
				accts = append(accts, account(i))
			}
			if _, err := db.WritePage(ctx, id, lease, &sspm.Page{Accounts: accts}, sspm.RunState{}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := db.FinishRun(ctx, id, sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, NextDueAt: now}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.LinkAccounts(ctx, id, authoritative, now.Add(-90*24*time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	sync("okta-1", sspm.KindOkta, true, people, func(i int) sspm.Account {
		mfa := &yes
		if i%50 == 0 {
			mfa = &no
		}
		return sspm.Account{ExternalID: fmt.Sprint("00u", i), Kind: sspm.AccountUser, Email: fmt.Sprint("user", i, "@example.com"),
			DisplayName: fmt.Sprint("Example Person ", i), Status: "ACTIVE", Active: i%40 != 0, IsAdmin: i%100 == 0,
			MFAEnrolled: mfa, LastLoginAt: now.Add(-time.Duration(i%200) * 24 * time.Hour)}
	})
	sync("github-1", sspm.KindGitHub, false, githubN, func(i int) sspm.Account {
		a := sspm.Account{ExternalID: fmt.Sprint(1_000_000 + i), Kind: sspm.AccountUser, Username: fmt.Sprint("gh-user", i),
			Status: "active", Active: true, IsAdmin: i%250 == 0}
		if i%3 != 0 {
			a.Email = fmt.Sprint("USER", i, "@example.com")
		}
		return a
	})
}
