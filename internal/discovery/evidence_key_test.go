package discovery_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/discovery"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// evidenceSource is an Okta-like discovery lane: one page of sign-ins to apps known by their Okta app id, some
// with a domain from the app's settings, some without.
type evidenceSource struct{ ev []sspm.Evidence }

func (s evidenceSource) Stages(l sspm.Lane) []string {
	if l == sspm.LaneDiscovery {
		return []string{"evidence"}
	}
	return nil
}

func (s evidenceSource) Step(context.Context, sspm.Lane, string, string) (sspm.StepResult, error) {
	return sspm.StepResult{Page: sspm.Page{Evidence: s.ev}}, nil
}

// An app's detail lists the evidence its counts come from: the evidence a discovery run stores is found under the
// key of the app the rebuild makes of it, and its distinct actors are the app's actors_30d.
func TestAppDetailListsTheEvidenceItsCountsComeFrom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, DiscoveryEnabled: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var ev []sspm.Evidence
	for i, actor := range []string{"u1", "u2", "u3", "u1"} { // u1 twice: one actor
		ev = append(ev, sspm.Evidence{Kind: "sso", AppID: "0oaASANA", AppName: "Asana", Domain: "https://app.asana.com/login",
			ActorID: actor, OccurredAt: now.Add(-time.Duration(i+1) * time.Hour)})
	}
	ev = append(ev, sspm.Evidence{Kind: "sso", AppID: "0oaInternal", AppName: "Internal Wiki", ActorID: "u2", OccurredAt: now.Add(-time.Hour)})
	ev = append(ev, sspm.Evidence{Kind: "oauth_grant", AppID: "0oaInternal", AppName: "Internal Wiki", ActorID: "u3",
		Scopes: []string{"openid"}, OccurredAt: now.Add(-time.Hour)})
	r := &lane.Runner{Store: db, Now: func() time.Time { return now },
		Sources: func(context.Context, sspm.Connector) (sspm.Source, error) { return evidenceSource{ev: ev}, nil }}
	res, err := r.Run(ctx, sspm.Invocation{ConnectorID: "okta-1", Lane: sspm.LaneDiscovery, Trigger: sspm.TriggerManual}, "t", time.Time{})
	if err != nil || res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("discovery run: %+v %v", res, err)
	}
	if _, err := discovery.Rebuild(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	apps, err := db.SaaSApps(ctx, postgres.AppFilter{}, postgres.ListOptions{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"domain:asana.com": 3, "okta_app:okta-1:0oainternal": 2}
	if len(apps.Items) != len(want) {
		t.Fatalf("apps = %+v, want %v", apps.Items, want)
	}
	for _, a := range apps.Items {
		if want[a.Key] != a.Actors30d {
			t.Errorf("app %s: %d actors, want %d", a.Key, a.Actors30d, want[a.Key])
		}
		got, err := db.AppEvidence(ctx, a.Key, postgres.ListOptions{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		actors := map[string]bool{}
		for _, e := range got.Items {
			actors[e.ActorKey] = true
		}
		if got.Total == 0 || len(actors) != a.Actors30d {
			t.Errorf("app %s (%d actors in 30 days): detail lists %d evidence rows from %d actors", a.Key, a.Actors30d, got.Total, len(actors))
		}
	}
}
