package oktasim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// hookReceiver is an event hook endpoint that answers verification and
// records deliveries.
type hookReceiver struct {
	mu         sync.Mutex
	secret     string
	status     int // answer to deliveries; 0 means 204
	verified   int
	deliveries []hookDelivery
}

type hookDelivery struct {
	Auth, ContentType string
	Body              struct {
		EventType string `json:"eventType"`
		EventID   string `json:"eventId"`
		Source    string `json:"source"`
		Data      struct {
			Events []okta.LogEvent `json:"events"`
		} `json:"data"`
	}
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Header.Get("Authorization") != h.secret {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodGet {
		h.verified++
		_ = json.NewEncoder(w).Encode(map[string]string{"verification": r.Header.Get("X-Okta-Verification-Challenge")})
		return
	}
	var d hookDelivery
	d.Auth, d.ContentType = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &d.Body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.deliveries = append(h.deliveries, d)
	if h.status != 0 {
		w.WriteHeader(h.status)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// TestSDKEventHookLifecycle registers and verifies a hook with the SDK, then
// makes changes and delivers their events to it.
func TestSDKEventHookLifecycle(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	recv := &hookReceiver{secret: "hook-secret"}
	endpoint := httptest.NewServer(recv)
	defer endpoint.Close()
	client := sdkClient(t, s)
	ctx := context.Background()

	cfg := okta.NewEventHookChannelConfig(endpoint.URL + "/hooks/okta/1")
	scheme := okta.NewEventHookChannelConfigAuthScheme()
	scheme.SetType("HEADER")
	scheme.SetKey("Authorization")
	scheme.SetValue(recv.secret)
	cfg.SetAuthScheme(*scheme)
	hook := okta.NewEventHook(*okta.NewEventHookChannel(*cfg, "HTTP", "1.0.0"),
		*okta.NewEventSubscriptions([]string{"group.user_membership.add", "user.lifecycle.deactivate"}, "EVENT_TYPE"), "open-sspm")
	created, _, err := client.EventHookAPI.CreateEventHook(ctx).EventHook(*hook).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if created.GetVerificationStatus() != "UNVERIFIED" || created.Channel.Config.AuthScheme.GetValue() != "" {
		t.Fatalf("created hook: %s, secret echoed %q", created.GetVerificationStatus(), created.Channel.Config.AuthScheme.GetValue())
	}

	group, _ := s.GroupID("Engineering")
	user, _ := s.UserID(c.People[2].ID)
	if err := s.AddGroupMember(group, user); err != nil {
		t.Fatal(err)
	}
	if rep, _ := s.DeliverHooks(ctx); rep.Batches != 0 {
		t.Fatalf("an unverified hook got %d deliveries", rep.Batches)
	}

	verified, _, err := client.EventHookAPI.VerifyEventHook(ctx, created.GetId()).Execute()
	if err != nil || verified.GetVerificationStatus() != "VERIFIED" || recv.verified != 1 {
		t.Fatalf("verify: %v, status %s, endpoint saw %d challenges", err, verified.GetVerificationStatus(), recv.verified)
	}
	if err := s.RemoveGroupMember(group, user); err != nil { // not subscribed
		t.Fatal(err)
	}
	if err := s.AddGroupMember(group, user); err != nil {
		t.Fatal(err)
	}
	if err := s.DeactivateUser(user); err != nil {
		t.Fatal(err)
	}
	rep, err := s.DeliverHooks(ctx)
	if err != nil || rep.Batches != 1 || rep.Events != 2 || rep.Failed != 0 {
		t.Fatalf("deliver: %+v, %v; want one batch of two events", rep, err)
	}
	d := recv.deliveries[0]
	if d.Auth != recv.secret || d.ContentType != "application/json" || d.Body.EventType != "com.okta.event_hook" || d.Body.EventID == "" {
		t.Errorf("delivery envelope: %+v", d)
	}
	got := []string{d.Body.Data.Events[0].GetEventType(), d.Body.Data.Events[1].GetEventType()}
	if got[0] != "group.user_membership.add" || got[1] != "user.lifecycle.deactivate" || d.Body.Data.Events[0].GetUuid() == "" {
		t.Errorf("delivered %v", got)
	}
	if rep, _ := s.DeliverHooks(ctx); rep.Batches != 0 {
		t.Errorf("a second delivery sent %d batches; events are sent once", rep.Batches)
	}
	hooks, _, err := client.EventHookAPI.ListEventHooks(ctx).Execute()
	if err != nil || len(hooks) != 1 {
		t.Fatalf("list hooks: %d, %v", len(hooks), err)
	}
}
