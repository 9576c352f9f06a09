package entra_test

import (
	"context"
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
