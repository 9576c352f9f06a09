package github_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func (le *laneEnv) tailer() *lane.Tailer {
	return &lane.Tailer{Store: le.db, Streams: func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
		return le.opts.NewSource(ctx, c, []byte(githubsim.DefaultToken))
	}}
}

// tailAll steps the audit log stream until it has no more waiting; it returns the events stored and the steps.
func (le *laneEnv) tailAll(t *testing.T) (stored int64, steps int) {
	t.Helper()
	tl := le.tailer()
	for {
		res, err := tl.Step(context.Background(), le.conn.ID, ghc.StreamAuditLog)
		if err != nil {
			t.Fatalf("tail step %d: %v", steps, err)
		}
		stored, steps = stored+res.Stored, steps+1
		if !res.More {
			return stored, steps
		}
		if steps > 1000 {
			t.Fatal("the tail never catches up")
		}
	}
}

// TestAuditLogTail: the tail reads the whole recent audit log by cursor pages (of 10 here), stores each entry
// once, re-reads the overlap without storing it again, and picks up what happens next.
func TestAuditLogTail(t *testing.T) {
	t.Parallel()
	le := newLaneEnv(t, newEnv(t, githubsim.Options{}))
	ctx := context.Background()
	stored, steps := le.tailAll(t)
	if stored != int64(le.sim.AuditEntries()) || steps < 2 {
		t.Fatalf("stored %d of %d entries in %d steps", stored, le.sim.AuditEntries(), steps)
	}
	if again, _ := le.tailAll(t); again != 0 {
		t.Fatalf("a caught-up tail stored %d entries again", again)
	}
	stats := le.sim.Stats()
	if err := le.sim.DeleteTeam(le.sim.Teams()[0]); err != nil {
		t.Fatal(err)
	}
	le.sim.AuditLog("org.update_member", map[string]any{"user": le.sim.Members()[1], "permission": "admin", "old_permission": "read"})
	if n, _ := le.tailAll(t); n != 2 {
		t.Fatalf("stored %d new entries, want the team deletion and the promotion", n)
	}
	if after := le.sim.Stats(); after.ByRoute["GET /orgs/{org}/audit-log"]-stats.ByRoute["GET /orgs/{org}/audit-log"] > 2 {
		t.Errorf("a caught-up read took %d requests", after.ByRoute["GET /orgs/{org}/audit-log"]-stats.ByRoute["GET /orgs/{org}/audit-log"])
	}
	cur, err := le.db.TailCursor(ctx, le.conn.ID, ghc.StreamAuditLog)
	if err != nil || cur.HighWater.IsZero() || cur.Cursor == "" {
		t.Fatalf("cursor %+v, %v", cur, err)
	}
	var c map[string]string
	if json.Unmarshal([]byte(cur.Cursor), &c) != nil || c["after"] != "" || c["hw"] == "" {
		t.Errorf("caught-up cursor %q", cur.Cursor)
	}
}

// TestAuditLogUnavailable: an organization without the audit log (404) or a token that may not read it (403)
// ends the read with ErrAuditLogUnavailable, which wraps sspm.ErrStreamUnavailable (CodeNotFound: the AWS
// state machine ends the stream). The tail records the stream as unavailable with the reason, not as an error,
// moves no cursor, and does not ask GitHub again on the next ticks, only after a day.
func TestAuditLogUnavailable(t *testing.T) {
	t.Parallel()
	const route = "GET /orgs/{org}/audit-log"
	for _, opts := range []githubsim.Options{{NoAuditLog: true}, {Forbidden: []string{route}}} {
		e := newEnv(t, opts)
		src := e.source(t)
		_, err := src.ReadStream(context.Background(), ghc.StreamAuditLog, "")
		if !errors.Is(err, ghc.ErrAuditLogUnavailable) || !errors.Is(err, sspm.ErrStreamUnavailable) || sspm.ErrorCode(err) != sspm.CodeNotFound {
			t.Fatalf("%+v: err %v (code %s)", opts, err, sspm.ErrorCode(err))
		}
		le := newLaneEnv(t, e)
		clock := time.Now()
		tl := le.tailer()
		tl.Now = func() time.Time { return clock }
		res, err := tl.Step(context.Background(), le.conn.ID, ghc.StreamAuditLog)
		if err != nil || res.Unavailable == "" || res.NotBefore.Before(clock.Add(23*time.Hour)) {
			t.Fatalf("%+v: tail step = %+v, %v; want the stream unavailable for about a day, no error", opts, res, err)
		}
		cur, err := le.db.TailCursor(context.Background(), le.conn.ID, ghc.StreamAuditLog)
		if err != nil || cur.Cursor != "" || cur.LastError != "" || !strings.Contains(cur.Unavailable, "audit log unavailable") {
			t.Errorf("cursor after an unavailable read: %+v, %v", cur, err)
		}
		asked := le.sim.Stats().ByRoute[route]
		for range 5 { // five ticks later, GitHub was not asked again
			clock = clock.Add(time.Minute)
			if res, err := tl.Step(context.Background(), le.conn.ID, ghc.StreamAuditLog); err != nil || res.Unavailable == "" {
				t.Fatalf("tick: %+v, %v", res, err)
			}
		}
		if again := le.sim.Stats().ByRoute[route] - asked; again != 0 {
			t.Errorf("%+v: the unavailable audit log was read %d more times in 5 ticks", opts, again)
		}
		clock = clock.Add(25 * time.Hour)
		if _, err := tl.Step(context.Background(), le.conn.ID, ghc.StreamAuditLog); err != nil || le.sim.Stats().ByRoute[route] == asked {
			t.Errorf("%+v: not tried again after a day (%v)", opts, err)
		}
	}
}

// TestAuditLogBadCursorRestarts: an after token GitHub no longer accepts restarts the read from the high-water
// mark less the overlap.
func TestAuditLogBadCursorRestarts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{})
	src := e.source(t)
	cur, _ := json.Marshal(map[string]string{"after": "!!", "since": time.Now().Add(-time.Hour).Format(time.RFC3339Nano),
		"hw": time.Now().Add(-2 * time.Hour).Format(time.RFC3339Nano)})
	page, err := src.ReadStream(context.Background(), ghc.StreamAuditLog, string(cur))
	if err != nil || len(page.Events) == 0 {
		t.Fatalf("read with a rejected cursor: %d events, %v", len(page.Events), err)
	}
	if _, err := src.ReadStream(context.Background(), "other", ""); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Errorf("unknown stream: %v", err)
	}
}

// TestAuditEventsMeetThePolicies: the audit actions the event policies name map to canonical events those
// policies match — EV-001 and EV-007 (org.update_member to admin, repo.add_member with admin), EV-002
// (org.disable_two_factor_requirement), EV-003 (personal_access_token.access_granted) — with targets the
// inventory knows (user ids, repository full names, team slugs).
func TestAuditEventsMeetThePolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{})
	members, repos := e.sim.Members(), e.sim.Repos()
	e.sim.AuditLog("repo.add_member", map[string]any{"repo": repos[0], "user": members[2], "permission": "admin"})
	e.sim.AuditLog("team.remove_member", map[string]any{"team": e.sim.Teams()[0], "user": members[2]})
	src := e.source(t)
	var events []sspm.Event
	cursor := ""
	for {
		page, err := src.ReadStream(context.Background(), ghc.StreamAuditLog, cursor)
		if err != nil {
			t.Fatal(err)
		}
		events, cursor = append(events, page.Events...), page.Cursor
		if !page.More {
			break
		}
	}
	byType := map[string][]sspm.Event{}
	for _, ev := range events {
		byType[ev.Type] = append(byType[ev.Type], ev)
		if ev.ProviderEventID == "" || ev.OccurredAt.IsZero() || ev.Outcome != "success" || ev.Source != "tail" || ev.ActorExternalID == "" {
			t.Fatalf("event %+v", ev)
		}
	}
	for _, typ := range []string{"org.add_member", "org.update_member", "team.add_member", "team.remove_member", "repo.add_member",
		"personal_access_token.access_granted", "org.disable_two_factor_requirement", "hook.destroy"} {
		if len(byType[typ]) == 0 {
			t.Errorf("no %s event in %d events", typ, len(events))
		}
	}
	if ev := byType["team.remove_member"][0]; len(ev.Targets) != 2 || ev.Targets[1].Type != "team" || ev.Targets[1].DisplayName != e.sim.Teams()[0] {
		t.Errorf("team target %+v", ev.Targets)
	}
	if ev := byType["repo.add_member"][0]; !slices.ContainsFunc(ev.Targets, func(tg sspm.EventTarget) bool {
		return tg.Type == "repository" && tg.DisplayName == e.sim.Org()+"/"+repos[0] && tg.ExternalID != ""
	}) {
		t.Errorf("repository target %+v", ev.Targets)
	}
	if ev := byType["org.update_member"][0]; ev.Category != "iam.role.grant" || ev.Targets[0].Type != "user" || ev.Targets[0].ExternalID == "" {
		t.Errorf("org.update_member: %+v", ev)
	}

	catalog, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	in := slices.Clone(events) // as the store keeps them: one event type from the connector to the policies
	for i := range in {
		in[i].ID, in[i].ConnectorID, in[i].SourceKind, in[i].Source = int64(i+1), "gh", sspm.KindGitHub, "tail"
	}
	matches, err := catalog.MatchEvents(context.Background(), string(sspm.KindGitHub), in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]map[string]bool{}
	for _, m := range matches {
		if fired[m.Ref.Policy.ID] == nil {
			fired[m.Ref.Policy.ID] = map[string]bool{}
		}
		fired[m.Ref.Policy.ID][m.Event.Type] = true
	}
	for _, want := range []struct{ policy, typ string }{
		{"EV-001", "org.update_member"}, {"EV-007", "org.update_member"}, {"EV-007", "repo.add_member"},
		{"EV-002", "org.disable_two_factor_requirement"}, {"EV-003", "personal_access_token.access_granted"},
	} {
		if !fired[want.policy][want.typ] {
			t.Errorf("%s did not fire on %s (fired: %v)", want.policy, want.typ, fired)
		}
	}
	if fired["EV-001"]["org.add_member"] || fired["EV-007"]["team.add_member"] {
		t.Errorf("a member added without admin rights fired: %v", fired)
	}
}
