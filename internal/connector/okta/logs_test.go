package okta_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestTailOverlapAndDeduplication tails the System Log through the lane: full pages say More and continue with
// `after`; each later read goes five minutes back; events read again are stored once, and the cursor keeps the
// newest published time.
func TestTailOverlapAndDeduplication(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{}, nil)
	le := newLaneEnv(t, e)
	ctx := context.Background()
	tailer := &lane.Tailer{Store: le.db, Now: e.clk.Now, Streams: func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
		return e.opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
	}}
	users := ids(truth(t, e, "/api/v1/users"))
	apps := ids(truth(t, e, "/api/v1/apps"))
	// More than a page of events, then a marker ten minutes later.
	for i := 0; i < 1100; i++ {
		must(t, e.sim.RecordSSO(users[i%len(users)], apps[i%len(apps)]))
	}
	e.clk.Advance(10 * time.Minute)
	must(t, e.sim.RecordSignIn(users[2]))
	var reads []lane.TailResult
	for {
		res, err := tailer.Step(ctx, e.conn.ID, okta.StreamSystemLog)
		if err != nil {
			t.Fatal(err)
		}
		reads = append(reads, res)
		if !res.More {
			break
		}
	}
	stored, _ := le.db.CountEvents(ctx, e.conn.ID)
	if len(reads) < 2 || !reads[0].More || reads[0].Read != 1000 || stored < 1100 {
		t.Fatalf("reads %+v, stored %d: want a full page that says More, then the rest", reads, stored)
	}
	cur, _ := le.db.TailCursor(ctx, e.conn.ID, okta.StreamSystemLog)
	if !cur.HighWater.Equal(e.clk.Now()) {
		t.Fatalf("high water %v, want the newest event's time %v", cur.HighWater, e.clk.Now())
	}

	// Two minutes later, two new events. The next read goes back five minutes, so it reads the marker again
	// and stores only the two.
	e.clk.Advance(2 * time.Minute)
	must(t, e.sim.RecordSSO(users[0], apps[0]))
	must(t, e.sim.RecordSignIn(users[4]))
	res, err := tailer.Step(ctx, e.conn.ID, okta.StreamSystemLog)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 2 || res.Read != 3 || res.More {
		t.Fatalf("second read: %+v; want the marker read again and the two new events stored", res)
	}
	again, _ := tailer.Step(ctx, e.conn.ID, okta.StreamSystemLog)
	if again.Stored != 0 || again.Read == 0 {
		t.Fatalf("third read %+v: the overlap is read again and nothing stored twice", again)
	}
	if n, _ := le.db.CountEvents(ctx, e.conn.ID); n != stored+2 {
		t.Fatalf("events %d, want %d", n, stored+2)
	}
}

// TestDiscoveryEvidenceAndWatermark: the first run reads a week of SSO and consent events into evidence with
// app, domain, actor and scopes and ends with a watermark; the next run starts five minutes before it.
func TestDiscoveryEvidenceAndWatermark(t *testing.T) {
	e := newEnv(t, providersim.Medium(), oktasim.Options{PageCaps: map[string]int{"/api/v1/logs": 50}}, nil)
	got := drain(t, e.source(t), sspm.LaneDiscovery, nil)
	var sso, grants int
	for _, ev := range got.page.Evidence {
		switch ev.Kind {
		case "sso":
			sso++
		case "oauth_grant":
			grants++
			if len(ev.Scopes) == 0 {
				t.Errorf("grant %+v without scopes", ev)
			}
		}
		if ev.AppID == "" || ev.AppName == "" || ev.ActorID == "" || ev.SourceEvent == "" || ev.OccurredAt.Before(e.clk.Now().Add(-7*24*time.Hour)) {
			t.Fatalf("evidence %+v", ev)
		}
	}
	withDomain := slices.IndexFunc(got.page.Evidence, func(ev sspm.Evidence) bool { return ev.Domain != "" })
	if sso == 0 || grants == 0 || withDomain < 0 || got.steps < 3 || got.watermarks[okta.StageEvidence] == "" {
		t.Fatalf("sso %d, grants %d, domain at %d, steps %d, watermarks %v", sso, grants, withDomain, got.steps, got.watermarks)
	}

	e.clk.Advance(time.Hour)
	users := ids(truth(t, e, "/api/v1/users"))
	apps := ids(truth(t, e, "/api/v1/apps"))
	must(t, e.sim.RecordSSO(users[1], apps[4]))
	must(t, e.sim.RecordConsent(users[2], apps[5], []string{"openid", "email"}))
	e.clk.Advance(time.Second) // a read's end (until) is exclusive
	next := drain(t, e.source(t), sspm.LaneDiscovery, got.watermarks)
	if len(next.page.Evidence) != 2 {
		t.Fatalf("the second run found %d pieces of evidence, want the two new ones: %+v", len(next.page.Evidence), next.page.Evidence)
	}
	if g := next.page.Evidence[1]; g.Kind != "oauth_grant" || g.AppID != apps[5] || !slices.Equal(g.Scopes, []string{"openid", "email"}) || g.ActorID != users[2] {
		t.Fatalf("consent evidence %+v", g)
	}
	if next.watermarks[okta.StageEvidence] == got.watermarks[okta.StageEvidence] {
		t.Fatal("the watermark did not move")
	}
}
