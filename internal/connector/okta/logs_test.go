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

// TestTailFollowsThePollingPosition tails the System Log through the lane: full pages say More and continue with
// the next link; each later read follows the position Okta handed out (even after an empty page), so nothing is
// read twice; when Okta no longer accepts the position (400), the read recovers five minutes before the newest
// published time and the events read again are stored once.
func TestTailFollowsThePollingPosition(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{}, nil)
	le := newLaneEnv(t, e)
	ctx := context.Background()
	tailer := &lane.Tailer{Store: le.db, Now: e.clk.Now, Streams: func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
		return e.opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
	}}
	step := func() lane.TailResult {
		t.Helper()
		res, err := tailer.Step(ctx, e.conn.ID, okta.StreamSystemLog)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
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
		res := step()
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

	// Nothing new: an empty page, whose next link is the new position.
	if res := step(); res.Read != 0 || res.Stored != 0 {
		t.Fatalf("an idle read: %+v; want nothing read", res)
	}
	// Two minutes later, two new events: the read follows the position and reads only them.
	e.clk.Advance(2 * time.Minute)
	must(t, e.sim.RecordSSO(users[0], apps[0]))
	must(t, e.sim.RecordSignIn(users[4]))
	if res := step(); res.Stored != 2 || res.Read != 2 || res.More {
		t.Fatalf("second read: %+v; want the two new events, read once", res)
	}
	if again := step(); again.Stored != 0 || again.Read != 0 {
		t.Fatalf("third read %+v: nothing new, nothing read", again)
	}
	// The position is lost: the read starts over five minutes before the newest published time.
	e.sim.AddFault(oktasim.Fault{Path: "/api/v1/logs", Status: 400, Times: 1})
	if res := step(); res.Read != 3 || res.Stored != 0 { // the marker and the two
		t.Fatalf("the read after a refused position: %+v; want the overlap read again, nothing stored twice", res)
	}
	if n, _ := le.db.CountEvents(ctx, e.conn.ID); n != stored+2 {
		t.Fatalf("events %d, want %d", n, stored+2)
	}
}

// TestTailReadsEachEventAboutOnce polls a busy org whose log stores events up to two minutes after they were
// published (out of published order), as Okta's does, every 30 seconds for half an hour: every event is stored,
// and the events served per event stored stay near 1 (re-reading an overlap on every poll served 1.9x and more).
func TestTailReadsEachEventAboutOnce(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{LogLag: 2 * time.Minute, RateLimits: map[string]int{oktasim.BucketLogs: 50}}, nil)
	le := newLaneEnv(t, e)
	ctx := context.Background()
	tailer := &lane.Tailer{Store: le.db, Now: e.clk.Now, Streams: func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
		return e.opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
	}}
	drainTail := func() (read int) {
		for {
			res, err := tailer.Step(ctx, e.conn.ID, okta.StreamSystemLog)
			if err != nil {
				t.Fatal(err)
			}
			read += res.Read
			if !res.More {
				return read
			}
		}
	}
	drainTail() // the backfill of the org's history
	base, _ := le.db.CountEvents(ctx, e.conn.ID)
	users := ids(truth(t, e, "/api/v1/users"))
	served, emitted := 0, 0
	for range 60 { // 30 minutes, 40 events per 30 s
		for range 40 {
			must(t, e.sim.RecordSignIn(users[emitted%len(users)]))
			emitted++
		}
		e.clk.Advance(30 * time.Second)
		served += drainTail()
	}
	// The health page shows the tail's request rate (one read per 30 s poll) against the logs bucket (50/min).
	states, err := le.db.TailStates(ctx, e.conn.ID)
	if err != nil || len(states) != 1 {
		t.Fatalf("tail states %v %v", states, err)
	}
	if st := states[0]; st.BucketLimit != 50 || st.RequestsPerMinute < 1.5 || st.RequestsPerMinute > 2.5 {
		t.Fatalf("request rate %.2f/min against a bucket of %d/min; want about 2 of 50", st.RequestsPerMinute, st.BucketLimit)
	}
	e.clk.Advance(3 * time.Minute) // past the lag: everything is stored
	served += drainTail()
	if e.sim.Pending() != 0 {
		t.Fatalf("%d events still pending", e.sim.Pending())
	}
	n, _ := le.db.CountEvents(ctx, e.conn.ID)
	if got := int(n - base); got != emitted {
		t.Fatalf("stored %d of the %d events", got, emitted)
	}
	ratio := float64(served) / float64(emitted)
	t.Logf("served %d events for %d stored: %.3f per event", served, emitted, ratio)
	if ratio > 1.05 {
		t.Fatalf("%.2f events served per event stored; want about 1", ratio)
	}
}

// TestTailFutureEventSkipsNothing: an event published a year ahead of the clock does not move the high-water
// mark, so when the position is lost the recovery still starts just before the real newest events and none of
// the events published after it is skipped.
func TestTailFutureEventSkipsNothing(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{LogLag: time.Minute}, nil)
	le := newLaneEnv(t, e)
	ctx := context.Background()
	tailer := &lane.Tailer{Store: le.db, Now: e.clk.Now, Streams: func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
		return e.opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
	}}
	step := func() {
		t.Helper()
		for {
			res, err := tailer.Step(ctx, e.conn.ID, okta.StreamSystemLog)
			if err != nil {
				t.Fatal(err)
			}
			if !res.More {
				return
			}
		}
	}
	step()
	base, _ := le.db.CountEvents(ctx, e.conn.ID)
	users := ids(truth(t, e, "/api/v1/users"))
	must(t, e.sim.RecordSignInAt(users[1], e.clk.Now().Add(365*24*time.Hour)))
	e.clk.Advance(2 * time.Minute)
	step()
	cur, _ := le.db.TailCursor(ctx, e.conn.ID, okta.StreamSystemLog)
	if cur.HighWater.After(e.clk.Now()) {
		t.Fatalf("high water %v moved past the clock %v by a future event", cur.HighWater, e.clk.Now())
	}
	for i := range 20 {
		must(t, e.sim.RecordSignIn(users[i%len(users)]))
	}
	e.sim.AddFault(oktasim.Fault{Path: "/api/v1/logs", Status: 400, Times: 1}) // the position is lost
	e.clk.Advance(2 * time.Minute)
	step()
	if n, _ := le.db.CountEvents(ctx, e.conn.ID); n-base != 21 {
		t.Fatalf("stored %d events after the future one, want 21 (it and the 20 after it)", n-base)
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
