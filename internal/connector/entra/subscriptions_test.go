package entra_test

import (
	"context"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/lane"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// hookReceiver is the connector's push receiver (Verify, then Parse, then RefreshEvents, as the hooks endpoint
// and the inbox run them) at /hooks/entra/{connector}.
type hookReceiver struct {
	t      *testing.T
	secret []byte
	src    *entra.Source
	mu     sync.Mutex
	events []sspm.Event
	page   sspm.Page
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	v, err := entra.VerifyNotification(r, body, h.secret)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if v.Challenge != nil {
		w.Header().Set("Content-Type", v.ContentType)
		_, _ = w.Write(v.Challenge)
		return
	}
	events, err := entra.ParseNotifications(v.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	page, err := h.src.RefreshEvents(r.Context(), events)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h.mu.Lock()
	h.events = append(h.events, events...)
	h.page.Accounts = append(h.page.Accounts, page.Accounts...)
	h.page.Groups = append(h.page.Groups, page.Groups...)
	h.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// TestSubscriptionsEndToEnd: Register creates the users and groups subscriptions (Graph validates the URL
// through the receiver), a change in the tenant is delivered, verified, parsed and refreshed; the full lane's
// subscriptions stage renews them before expiry and reports a vanished one.
func TestSubscriptionsEndToEnd(t *testing.T) {
	ctx := context.Background()
	clk := clocktest.New(sourcetest.Start)
	tn := newEntraTenant(t, clk, 0, entrasim.Options{})
	opts := testOptions(clk)
	conn := tn.Connector("entra-push")
	src, err := opts.NewSource(ctx, conn, tn.Secret())
	if err != nil {
		t.Fatal(err)
	}
	hookSecret := "hook-secret-0123456789"
	rc := &hookReceiver{t: t, secret: []byte(hookSecret), src: src}
	hooks := httptest.NewServer(rc)
	defer hooks.Close()
	hookURL := hooks.URL + "/hooks/entra/" + conn.ID

	kind := entra.NewKind(opts)
	ids, err := kind.Push.Register(ctx, conn, tn.Secret(), hookURL, hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	subs := tn.sim.Subscriptions()
	if len(subs) != 2 || !strings.Contains(ids, "users:") || !strings.Contains(ids, "groups:") {
		t.Fatalf("register: %q, %+v", ids, subs)
	}
	for _, s := range subs {
		if left := s.Expiration.Sub(clk.Now()); left > entrasim.MaxSubscriptionMinutes*time.Minute || left < 28*24*time.Hour {
			t.Errorf("%s expires in %s", s.Resource, left)
		}
	}
	// Registering again renews instead of duplicating.
	if _, err := kind.Push.Register(ctx, conn, tn.Secret(), hookURL, hookSecret); err != nil || len(tn.sim.Subscriptions()) != 2 {
		t.Fatalf("register again: %v, %d subscriptions", err, len(tn.sim.Subscriptions()))
	}
	// A wrong hook secret: the validation handshake fails, nothing is created.
	if _, err := kind.Push.Register(ctx, conn, tn.Secret(), hookURL+"/x", "other-secret"); err == nil || len(tn.sim.Subscriptions()) != 2 {
		t.Fatalf("register with a URL the receiver refuses: %v, %d subscriptions", err, len(tn.sim.Subscriptions()))
	}

	user, group := tn.sim.UserIDs()[4], tn.sim.GroupIDs()[2]
	must(t, tn.sim.SetAccountEnabled(user, false))
	must(t, tn.sim.RemoveMember(group, memberOf(t, tn, group)))
	n, err := tn.sim.DeliverNotifications(ctx)
	if err != nil || n < 2 {
		t.Fatalf("delivered %d, %v", n, err)
	}
	if len(rc.events) != n || len(rc.page.Accounts) != 1 || rc.page.Accounts[0].ExternalID != user ||
		rc.page.Accounts[0].Status != "suspended" || len(rc.page.Groups) != 1 || rc.page.Groups[0].ExternalID != group {
		t.Fatalf("events %d, refreshed %+v", len(rc.events), rc.page)
	}

	var watermark string
	// The stage: nothing to renew at first; renewed once less than half the lifetime is left; never expires.
	stage := func() sspm.StepResult {
		t.Helper()
		res, err := src.Step(ctx, sspm.LaneFull, entra.StageSubscriptions, watermark)
		if err != nil {
			t.Fatal(err)
		}
		watermark = res.Watermark
		return res
	}
	before := tn.sim.Subscriptions()
	if res := stage(); res.Message != "" || !same(before, tn.sim.Subscriptions()) {
		t.Fatalf("fresh subscriptions renewed: %q", res.Message)
	}
	for range 4 { // 60 days, a run every 15: the 29-day subscriptions survive
		clk.Advance(15 * 24 * time.Hour)
		if res := stage(); !strings.Contains(res.Message, "renewed 2") {
			t.Fatalf("day %s: %q", clk.Now(), res.Message)
		}
		if len(tn.sim.Subscriptions()) != 2 {
			t.Fatal("a subscription expired although renewed")
		}
	}

	// Renewal refused: the stage fails with a message saying push stops.
	clk.Advance(15 * 24 * time.Hour)
	tn.sim.AddFault(entrasim.Fault{Path: "/v1.0/subscriptions/{id}", Status: http.StatusForbidden, Times: 1})
	if _, err := src.Step(ctx, sspm.LaneFull, entra.StageSubscriptions, watermark); err == nil || !strings.Contains(err.Error(), "push stops") {
		t.Fatalf("refused renewal: %v", err)
	}
	// Expired meanwhile: the stage reports the vanished subscription.
	clk.Advance(30 * 24 * time.Hour)
	if _, err := src.Step(ctx, sspm.LaneFull, entra.StageSubscriptions, watermark); err == nil || !strings.Contains(err.Error(), "push has stopped") {
		t.Fatalf("expired subscription: %v", err)
	}
	// Registered again (as demo mode does on each start): the new subscriptions replace the vanished ones.
	if _, err := kind.Push.Register(ctx, conn, tn.Secret(), hookURL, hookSecret); err != nil {
		t.Fatalf("register after expiry: %v", err)
	}
	if _, err := src.Step(ctx, sspm.LaneFull, entra.StageSubscriptions, watermark); err != nil {
		t.Fatalf("the stage after the hook was registered again: %v", err)
	}
}

func same(a, b []entrasim.Subscription) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// memberOf makes a user a member of the group (a change notified too) and returns it.
func memberOf(t *testing.T, tn *entraTenant, group string) string {
	t.Helper()
	u := tn.sim.UserIDs()[9]
	must(t, tn.sim.AddMember(group, u))
	return u
}

// fakeHooks is connector.Hooks: the connector's registered hook, or none (sspm.CodeNotFound).
type fakeHooks struct{ url, secret string }

func (h fakeHooks) PushHook(_ context.Context, c sspm.Connector) (string, string, error) {
	if h.url == "" {
		return "", "", sspm.Errorf(sspm.CodeNotFound, "no push hook registered for connector %s", c.ID)
	}
	return h.url, h.secret, nil
}

// TestSubscriptionsRecreated: the full lane's subscriptions stage, with the hook the application knows
// (connector.Deps.Hooks through Bind), re-creates a subscription that expired, vanished or was never created; a
// creation Graph refuses fails the run with a message saying push stopped, the earlier stages' rows stored;
// without a hook and without a watermark the stage does nothing.
func TestSubscriptionsRecreated(t *testing.T) {
	const hookSecret = "hook-secret-0123456789"
	tests := []struct {
		name string
		// registered: a hook is registered (and, unless firstRun is false, the first run creates its
		// subscriptions).
		registered bool
		// between changes the tenant between the first and the second run; nil runs once.
		between func(t *testing.T, clk *clocktest.Clock, sim *entrasim.Server)
		// refuse makes the receiver refuse Graph's validation requests (Graph refuses the creation).
		refuse   bool
		wantSubs int
		wantErr  string
		wantMsg  string
	}{
		{name: "none yet: created", registered: true, wantSubs: 2, wantMsg: "subscriptions for users and groups"},
		{name: "expired: re-created", registered: true, wantSubs: 2, wantMsg: "subscriptions for users and groups",
			between: func(t *testing.T, clk *clocktest.Clock, sim *entrasim.Server) {
				clk.Advance(31 * 24 * time.Hour)
				if n := len(sim.Subscriptions()); n != 0 {
					t.Fatalf("%d subscriptions live after 31 days", n)
				}
			}},
		{name: "vanished: re-created", registered: true, wantSubs: 2, wantMsg: "subscriptions for groups (the registered hook had none live)",
			between: func(t *testing.T, _ *clocktest.Clock, sim *entrasim.Server) {
				for _, s := range sim.Subscriptions() {
					if s.Resource == "groups" {
						deleteSubscription(t, sim, s.ID)
					}
				}
			}},
		{name: "creation refused: run fails, rows kept", registered: true, refuse: true,
			wantErr: "push has stopped for users (there was none) and re-creating its subscription failed"},
		{name: "no hook: nothing", wantSubs: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newDeltaEnv(t)
			rc := &hookReceiver{t: t, secret: []byte(hookSecret)}
			if tt.refuse {
				rc.secret = []byte("another-secret-0123456789")
			}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			var hooks fakeHooks
			if tt.registered {
				hooks = fakeHooks{url: srv.URL + "/hooks/entra/" + e.conn.ID, secret: hookSecret}
			}
			kind := entra.NewKind(testOptions(e.clk)).Bind(connector.Deps{Outbound: sourcetest.Loopback, Hooks: hooks})
			e.runner.Sources = func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
				return kind.NewSource(ctx, c, e.tn.Secret())
			}
			run := func() lane.Result {
				t.Helper()
				e.clk.Advance(time.Hour)
				res, err := e.runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: e.conn.ID}, "t", time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			res := run()
			if tt.between != nil {
				if res.Outcome != lane.OutcomeSucceeded || len(e.tn.sim.Subscriptions()) != 2 {
					t.Fatalf("first run: %s %v, %d subscriptions", res.Outcome, res.Err, len(e.tn.sim.Subscriptions()))
				}
				tt.between(t, e.clk, e.tn.sim)
				res = run()
			}
			if tt.wantErr != "" {
				if res.Outcome != lane.OutcomeFailed || res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr) {
					t.Fatalf("run: %s %v; want failed with %q", res.Outcome, res.Err, tt.wantErr)
				}
				if n := e.live(t, `SELECT count(*)::text FROM accounts WHERE connector_id = $1`); n == "" || n == "0" {
					t.Fatalf("accounts stored by the failed run's earlier stages: %q", n)
				}
				return
			}
			if res.Outcome != lane.OutcomeSucceeded {
				t.Fatalf("run: %s %v", res.Outcome, res.Err)
			}
			subs := e.tn.sim.Subscriptions()
			if len(subs) != tt.wantSubs {
				t.Fatalf("%d subscriptions, want %d: %+v", len(subs), tt.wantSubs, subs)
			}
			for _, s := range subs {
				if s.NotificationURL != entra.SubscriptionURL(hooks.url, []byte(hookSecret)) {
					t.Errorf("%s subscription delivers to %s", s.Resource, s.NotificationURL)
				}
			}
			if msg := res.Run.Progress.Message; !strings.Contains(msg, tt.wantMsg) || (tt.wantMsg == "") != (msg == "") {
				t.Errorf("stage message %q, want %q", msg, tt.wantMsg)
			}
			if tt.wantSubs > 0 { // the re-created subscriptions deliver
				rc.src, _ = testOptions(e.clk).NewSource(ctx, e.conn, e.tn.Secret())
				must(t, e.tn.sim.SetAccountEnabled(e.tn.sim.UserIDs()[3], false))
				if n, err := e.tn.sim.DeliverNotifications(ctx); err != nil || n == 0 || len(rc.events) != n {
					t.Fatalf("delivered %d (%v), received %d", n, err, len(rc.events))
				}
			}
		})
	}
}

// deleteSubscription deletes a subscription as its app would (Graph: DELETE /subscriptions/{id}).
func deleteSubscription(t *testing.T, sim *entrasim.Server, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, sim.URL()+"/v1.0/subscriptions/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+entrasim.DefaultToken)
	resp, err := sim.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete subscription %s: %d", id, resp.StatusCode)
	}
}
