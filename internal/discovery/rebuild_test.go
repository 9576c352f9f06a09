package discovery_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/discovery"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestMain(m *testing.M) { postgrestest.Main(m) }

func TestRebuildScoresAppsFromEvidenceAndKeepsGovernance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	for _, c := range []sspm.Connector{
		{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, DiscoveryEnabled: true},
		{ID: "gh-1", Kind: sspm.KindGitHub, Name: "GitHub", Enabled: true},
	} {
		if _, err := db.CreateConnector(ctx, c, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	var ev []sspm.Evidence
	for i := range 60 { // sixty people sign in to Notion, some granting offline access
		e := sspm.Evidence{Kind: "sso", AppName: "Notion", Domain: "https://www.notion.so", ActorID: "u" + string(rune('a'+i%26)) + string(rune('a'+i/26)), OccurredAt: now.Add(-time.Hour)}
		if i%10 == 0 {
			e.Kind, e.Scopes = "oauth_grant", []string{"offline_access"}
		}
		ev = append(ev, e)
	}
	ev = append(ev, sspm.Evidence{Kind: "sso", AppID: "0oaGH", AppName: "GitHub Enterprise", Domain: "github.com", ActorID: "ua", OccurredAt: now.Add(-time.Hour)})
	ev = append(ev, sspm.Evidence{Kind: "sso", AppName: "Old Tool", Domain: "oldtool.io", ActorID: "ua", OccurredAt: now.Add(-40 * 24 * time.Hour)})
	for i := range ev { // the key the lane runner gives evidence
		ev[i].AppKey = discovery.CanonicalKey(discovery.AppRef{Source: sspm.KindOkta, SourceName: "okta-1", AppID: ev[i].AppID, AppName: ev[i].AppName, Domain: ev[i].Domain})
	}
	_, lease, _, err := db.StartRun(ctx, "okta-1", sspm.LaneDiscovery, sspm.TriggerManual, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.WritePage(ctx, "okta-1", lease, &sspm.Page{Evidence: ev}, sspm.RunState{}); err != nil {
		t.Fatal(err)
	}
	n, err := discovery.Rebuild(ctx, db, now)
	if err != nil || n != 2 {
		t.Fatalf("rebuilt %d apps (%v), want notion and github (the 40-day-old evidence is stale)", n, err)
	}
	notion, err := db.SaaSApp(ctx, "domain:notion.so")
	if err != nil {
		t.Fatal(err)
	}
	if notion.Actors30d != 60 || notion.ManagedState != discovery.ManagedNoBinding || notion.SuggestedCriticality != "high" ||
		notion.SuggestedClassification != "restricted" || notion.RiskScore != 100 || notion.RiskLevel != "critical" {
		t.Fatalf("notion = %+v", notion)
	}
	gh, _ := db.SaaSApp(ctx, "domain:github.com")
	if gh.ManagedConnectorID != "gh-1" || gh.ManagedState != discovery.ManagedStaleSync {
		t.Fatalf("github = %+v, want bound automatically to gh-1, which never synced", gh)
	}
	hot, _ := db.Hotspots(ctx, discovery.HotspotMin, discovery.MaxHotspots)
	if len(hot) != 2 || hot[0].Key != "domain:notion.so" {
		t.Fatalf("hotspots = %+v", hot)
	}

	// People govern Notion: an owner-less sanctioned app stays; governance survives a rebuild and lowers the risk
	// when it lowers the effective criticality.
	g := sspm.AppGovernance{Criticality: "low", Classification: "internal", State: "sanctioned", Notes: "approved by security"}
	if _, err := db.SetAppGovernance(ctx, "domain:notion.so", g, "okta-1", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetAppGovernance(ctx, "domain:notion.so", sspm.AppGovernance{Criticality: "bogus", Classification: "internal", State: "sanctioned"}, "", "x"); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Fatalf("invalid governance: %v", err)
	}
	if _, err := discovery.Rebuild(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	notion, _ = db.SaaSApp(ctx, "domain:notion.so")
	if notion.Governance.State != "sanctioned" || notion.Governance.Notes != "approved by security" || notion.ManagedConnectorID != "okta-1" {
		t.Fatalf("after rebuild: %+v", notion)
	}
	if notion.RiskScore >= 100 {
		t.Fatalf("risk %d did not follow the governance", notion.RiskScore)
	}
}
