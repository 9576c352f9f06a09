package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestConnectorLifecycleIsAudited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.createConnector("c1", "first-secret-value")
	if c.Kind != "test" || !c.Enabled || !c.Push || !c.HasSecret || c.Config["url"] != "https://c1.example.com" {
		t.Fatalf("created = %+v", c)
	}
	b.must(http.StatusConflict, http.MethodPost, "/api/connectors", b.admin, map[string]any{"id": "c1", "kind": "test", "name": "again",
		"config": map[string]any{"url": "https://x"}}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPost, "/api/connectors", b.admin, map[string]any{"id": "c2", "kind": "test", "name": "no url"}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPost, "/api/connectors", b.admin, map[string]any{"id": "c2", "kind": "nope", "name": "x"}, nil)

	var updated api.Connector
	b.must(http.StatusOK, http.MethodPatch, "/api/connectors/c1", b.admin, map[string]any{"name": "Renamed", "enabled": false,
		"intervals": map[string]any{"full": 3600}}, &updated)
	if updated.Name != "Renamed" || updated.Enabled || updated.Intervals["full"] != 3600 || updated.Config["url"] != "https://c1.example.com" {
		t.Fatalf("updated = %+v", updated)
	}
	b.must(http.StatusUnprocessableEntity, http.MethodPatch, "/api/connectors/c1", b.admin, map[string]any{"config": map[string]any{"url": ""}}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPatch, "/api/connectors/c1", b.admin, map[string]any{"intervals": map[string]any{"nope": 60}}, nil)
	b.must(http.StatusNotFound, http.MethodPatch, "/api/connectors/zz", b.admin, map[string]any{"name": "x"}, nil)
	b.must(http.StatusOK, http.MethodPut, "/api/connectors/c1/secret", b.admin, map[string]any{"secret": "second-secret-value"}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPost, "/api/connectors/c1/sync", b.admin, map[string]any{"lane": "full"}, nil) // disabled
	b.must(http.StatusOK, http.MethodPatch, "/api/connectors/c1", b.admin, map[string]any{"enabled": true}, nil)
	// The test kind has no discovery lane: asking for one is refused, the full lane starts.
	var refused struct {
		Detail string `json:"detail"`
	}
	b.must(http.StatusUnprocessableEntity, http.MethodPost, "/api/connectors/c1/sync", b.admin, map[string]any{"lane": "discovery"}, &refused)
	if !strings.Contains(refused.Detail, "no discovery lane") {
		t.Fatalf("discovery refusal = %q", refused.Detail)
	}
	b.must(http.StatusAccepted, http.MethodPost, "/api/connectors/c1/sync", b.admin, map[string]any{"lane": "full"}, nil)
	b.must(http.StatusNoContent, http.MethodDelete, "/api/connectors/c1", b.admin, nil, nil)
	b.must(http.StatusNotFound, http.MethodGet, "/api/connectors/c1", b.admin, nil, nil)

	if got := b.invoker.invocations(); len(got) != 1 || got[0] != (sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "c1", Trigger: sspm.TriggerManual}) {
		t.Fatalf("invocations = %+v", got)
	}
	var audit api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?target_type=connector&sort=at", b.viewer, nil, &audit)
	var actions []string
	for _, e := range audit.Items {
		if e.Actor != b.adminActor || e.TargetID != "c1" {
			t.Fatalf("audit entry = %+v", e)
		}
		actions = append(actions, e.Action)
	}
	want := "[connector.create connector.update connector.secret.set connector.update connector.sync connector.delete]"
	if fmt.Sprint(actions) != want {
		t.Fatalf("audit = %v, want %s", actions, want)
	}
	rename := audit.Items[1]
	before, _ := rename.Before.(map[string]any)
	after, _ := rename.After.(map[string]any)
	if before["name"] != "Test c1" || after["name"] != "Renamed" || after["enabled"] != false {
		t.Fatalf("update audit before %v after %v", rename.Before, rename.After)
	}
	raw, _ := json.Marshal(audit)
	if strings.Contains(string(raw), "secret-value") {
		t.Fatalf("the audit log holds a secret: %s", raw)
	}
}

func TestConnectionTest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("c1", "good-secret-value")
	tests := []struct {
		name        string
		give        any
		wantOK      bool
		wantMessage string
	}{
		{name: "saved settings", give: nil, wantOK: true, wantMessage: "read 2 rows of users"},
		{name: "rejected credentials", give: map[string]any{"secret": "wrong-secret"}, wantMessage: "the provider rejected the credentials: 401 from the provider"},
		{name: "an internal failure is not shown", give: map[string]any{"secret": "internal-boom"}, wantMessage: "the connection test failed; the server log has the details"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r api.TestResult
			b.must(http.StatusOK, http.MethodPost, "/api/connectors/c1/test", b.admin, tt.give, &r)
			if r.OK != tt.wantOK || r.Message != tt.wantMessage || r.Stage != "users" {
				t.Fatalf("result = %+v", r)
			}
		})
	}
	b.must(http.StatusUnprocessableEntity, http.MethodPost, "/api/connectors/c1/test", b.admin, map[string]any{"config": map[string]any{}}, nil)
}

// A run taken over after its invocation died holding it (the fault drill's killed sync) says so: two attempts,
// one lost lease.
func TestRunsShowLostLeases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("c1", "good-secret-value")
	ctx := context.Background()
	// The first invocation's lease has run out already, as a killed invocation's does.
	if _, _, _, err := b.db.StartRun(ctx, "c1", sspm.LaneFull, sspm.TriggerSchedule, "killed", -time.Second); err != nil {
		t.Fatal(err)
	}
	if _, _, resumed, err := b.db.StartRun(ctx, "c1", sspm.LaneFull, sspm.TriggerSchedule, "next", time.Minute); err != nil || !resumed {
		t.Fatalf("take over: resumed %v, %v", resumed, err)
	}
	var runs api.Page[api.Run]
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1/runs", b.viewer, nil, &runs)
	if len(runs.Items) != 1 || runs.Items[0].Attempts != 2 || runs.Items[0].LostLeases != 1 {
		t.Fatalf("runs = %+v; want one run of 2 attempts and 1 lost lease", runs.Items)
	}
}

func TestHealthShowsRunsLanesAndResync(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("c1", "good-secret-value")
	b.syncAccounts("c1", false, sspm.Account{ExternalID: "u1", Kind: sspm.AccountUser, Email: "u1@example.com", Active: true})
	ctx := context.Background()
	_, lease, _, err := b.db.StartRun(ctx, "c1", sspm.LaneFull, sspm.TriggerManual, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.FinishRun(ctx, "c1", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunFailed, ErrorKind: "auth",
		ErrorText: "okta: 401 Invalid token provided (the whole text)", NextDueAt: time.Now(), ConsecutiveFailures: 1}); err != nil {
		t.Fatal(err)
	}
	run, _, _, err := b.db.StartRun(ctx, "c1", sspm.LaneFull, sspm.TriggerSchedule, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.db.SaveRunState(ctx, sspm.Lease{RunID: run.ID, Owner: "t", TTL: time.Minute}, sspm.RunState{
		Progress: sspm.Progress{Stage: "users", Pages: 3, Rows: 300, Message: "waiting 2s for the rate limit"}}); err != nil {
		t.Fatal(err)
	}
	var runs api.Page[api.Run]
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1/runs?limit=2", b.viewer, nil, &runs)
	if runs.Total != 3 || len(runs.Items) != 2 || runs.Items[0].Status != "running" || runs.Items[0].Progress.Rows != 300 {
		t.Fatalf("runs = %+v", runs)
	}
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1/runs?status=failed", b.viewer, nil, &runs)
	if runs.Total != 1 || runs.Items[0].ErrorText != "okta: 401 Invalid token provided (the whole text)" {
		t.Fatalf("failed runs = %+v", runs)
	}
	var h api.ConnectorHealth
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1/health", b.viewer, nil, &h)
	if len(h.Lanes) != 1 || h.Lanes[0].LastRun == nil || h.Lanes[0].LastRun.Status != "running" || h.Lanes[0].LastFailure == nil ||
		h.Lanes[0].LastFailure.ErrorKind != "auth" || h.Lanes[0].ConsecutiveFailures != 1 {
		t.Fatalf("health = %+v", h)
	}
	var sys api.SystemHealth
	b.must(http.StatusOK, http.MethodGet, "/api/health", b.viewer, nil, &sys)
	if len(sys.Lanes) != len(sspm.Lanes) || sys.Lanes[0].Lane != "full" || sys.Lanes[0].Running != 1 || sys.Lanes[0].Failing != 1 ||
		sys.Queue == nil {
		t.Fatalf("system health = %+v", sys)
	}

	var res api.ResyncResult
	b.must(http.StatusAccepted, http.MethodPost, "/api/sync", b.admin, nil, &res)
	if fmt.Sprint(res.Started) != "[{c1 full } {c1 tail log}]" ||
		fmt.Sprint(res.Skipped) != "[{c1 discovery its kind has no discovery lane}]" {
		t.Fatalf("resync started %v, skipped %v", res.Started, res.Skipped)
	}
}

func TestDeadDeliveriesReplay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("c1", "good-secret-value")
	ctx := context.Background()
	q := b.db.Queue("inbox", 1)
	body, _ := json.Marshal(sspm.Delivery{ConnectorID: "c1", Kind: sspm.KindTestSource, DeliveryID: "d1", ReceivedAt: time.Now(), Body: []byte(`{"x":1}`)})
	if err := q.Send(ctx, body); err != nil {
		t.Fatal(err)
	}
	msgs, err := q.Receive(ctx, 1, time.Minute)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive: %v %v", msgs, err)
	}
	if err := q.Nack(ctx, msgs[0].Receipt, 0, "parse: unexpected shape"); err != nil {
		t.Fatal(err)
	}
	var dead api.Page[api.DeadDelivery]
	b.must(http.StatusOK, http.MethodGet, "/api/inbox/dead", b.viewer, nil, &dead)
	if dead.Total != 1 || dead.Items[0].ConnectorID != "c1" || dead.Items[0].DeliveryID != "d1" || dead.Items[0].LastError != "parse: unexpected shape" {
		t.Fatalf("dead = %+v", dead)
	}
	b.must(http.StatusForbidden, http.MethodPost, fmt.Sprintf("/api/inbox/dead/%d/replay", dead.Items[0].ID), b.viewer, nil, nil)
	b.must(http.StatusNoContent, http.MethodPost, fmt.Sprintf("/api/inbox/dead/%d/replay", dead.Items[0].ID), b.admin, nil, nil)
	b.must(http.StatusNotFound, http.MethodPost, fmt.Sprintf("/api/inbox/dead/%d/replay", dead.Items[0].ID), b.admin, nil, nil)
	b.must(http.StatusOK, http.MethodGet, "/api/inbox/dead", b.viewer, nil, &dead)
	if dead.Total != 0 {
		t.Fatalf("dead after replay = %+v", dead)
	}
	var audit api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?action=inbox.replay", b.viewer, nil, &audit)
	if audit.Total != 1 {
		t.Fatalf("replay audit = %+v", audit)
	}
}

func TestLoginThroughTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var s api.Session
	b.must(http.StatusOK, http.MethodPost, "/auth/login", "", map[string]any{"email": "Viewer@Example.com", "password": password}, &s)
	if ttl := int64(auth.DefaultTokenTTL.Seconds()); s.Role != "viewer" || s.TokenType != "Bearer" || s.ExpiresIn < ttl-100 || s.ExpiresIn > ttl || s.RefreshToken == "" {
		t.Fatalf("session = %+v", s)
	}
	var me api.Me
	b.must(http.StatusOK, http.MethodGet, "/api/me", s.AccessToken, nil, &me)
	if me.Email != viewerEmail || me.Role != "viewer" {
		t.Fatalf("me = %+v", me)
	}
	// The limiter allows 3 failures per email (setup), then refuses even the right password.
	for i := range 3 {
		status, body := b.do(http.MethodPost, "/auth/login", "", map[string]any{"email": adminEmail, "password": fmt.Sprintf("wrong %d", i)})
		if status != http.StatusUnauthorized || !strings.Contains(string(body), "invalid email or password") {
			t.Fatalf("failure %d = %d %s", i, status, body)
		}
	}
	status, body := b.do(http.MethodPost, "/auth/login", "", map[string]any{"email": adminEmail, "password": password})
	if status != http.StatusTooManyRequests {
		t.Fatalf("after 3 failures = %d %s, want 429", status, body)
	}
	b.must(http.StatusOK, http.MethodPost, "/auth/login", "", map[string]any{"email": viewerEmail, "password": password}, nil)
	b.must(http.StatusUnauthorized, http.MethodPost, "/auth/login", "", map[string]any{"email": "nobody@example.com", "password": password}, nil)
	b.must(http.StatusOK, http.MethodGet, "/auth/jwks.json", "", nil, nil)
}

// Connector health shows only the lanes the connector's kind has (the test kind reads no SaaS evidence: no
// discovery lane, although the scheduler made its row), the evaluator's last activity (it has no due time),
// and why a tail is behind.
func TestHealthShowsTheKindsLanesEvaluatorActivityAndWhyATailIsBehind(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("c1", "good-secret-value")
	ctx := context.Background()
	now := time.Now()
	if _, err := b.db.Due(ctx, []sspm.Lane{sspm.LaneFull, sspm.LaneDiscovery}, now); err != nil {
		t.Fatal(err)
	}
	if err := b.db.RecordLaneActivity(ctx, "c1", sspm.LaneEvaluator, now.Add(-15*time.Second)); err != nil {
		t.Fatal(err)
	}
	// One stream read a minute ago, its newest event 20 minutes old; one last read half an hour ago.
	if _, err := b.db.CommitTail(ctx, "c1", "quiet", nil, sspm.TailCursor{Cursor: "x", HighWater: now.Add(-20 * time.Minute)}, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.CommitTail(ctx, "c1", "stopped", nil, sspm.TailCursor{Cursor: "y", HighWater: now.Add(-40 * time.Minute)}, now.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Pool().Exec(ctx, `UPDATE tail_cursors SET updated_at = $1 WHERE stream = 'stopped'`, now.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var h api.ConnectorHealth
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1/health", b.viewer, nil, &h)
	lanes := map[string]api.LaneStatus{}
	for _, l := range h.Lanes {
		lanes[l.Lane] = l
	}
	if _, ok := lanes["discovery"]; ok || len(lanes) != 2 {
		t.Errorf("lanes %v, want full and evaluator (the kind has no discovery)", h.Lanes)
	}
	if ev := lanes["evaluator"]; ev.LastActivityAt == nil || now.Sub(*ev.LastActivityAt) > time.Minute || ev.NextDueAt != nil {
		t.Errorf("evaluator lane = %+v, want its activity 15 s ago and no due time", ev)
	}
	behind := map[string]string{}
	for _, tl := range h.Tail {
		behind[tl.Stream] = tl.Behind
		if tl.BehindReason == "" {
			t.Errorf("tail %s behind (%s) says no reason", tl.Stream, tl.Behind)
		}
	}
	if behind["quiet"] != "quiet" || behind["stopped"] != "not_read" {
		t.Errorf("tails behind: %v", behind)
	}
	var sys api.SystemHealth
	b.must(http.StatusOK, http.MethodGet, "/api/health", b.viewer, nil, &sys)
	for _, l := range sys.Lanes {
		if l.Lane == "evaluator" && l.LastActivityAt == nil {
			t.Errorf("system health: evaluator never active: %+v", l)
		}
	}
}
