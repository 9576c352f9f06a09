package google_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// pushHook is the connector's push receiver: Verify, then Parse, counting each provider event id it stores.
type pushHook struct {
	secret []byte
	mu     sync.Mutex
	stored map[string]int
}

func (h *pushHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v, err := google.VerifyPush(r, body, h.secret)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if v.Challenge != nil {
		return
	}
	evs, err := google.ParsePush(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range evs {
		h.stored[e.ProviderEventID]++
	}
}

// TestChannelsRenewedBeforeExpiry: after RegisterPush, the full lane's last stage, channels, keeps the channels
// of this hour, replaces each one with less than half its life left by a new channel and stops the old one, so
// push never stops over a day of runs every two hours and each activity is delivered once; a refused watch fails
// the stage saying when push stops and stops nothing; a connector without push has nothing to renew.
func TestChannelsRenewedBeforeExpiry(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	const hookSecret = "push-secret-123"
	h := &pushHook{secret: []byte(hookSecret), stored: map[string]int{}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	hookURL := srv.URL + "/hooks/google_workspace/g"
	push := true
	o := google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: e.clk.Now, Sleep: e.clk.Sleep,
		Hook: func(_ context.Context, c sspm.Connector) (string, string, error) {
			if !push || c.ID != "g" {
				return "", "", sspm.Errorf(sspm.CodeNotFound, "connector %s takes no push deliveries", c.ID)
			}
			return hookURL, hookSecret, nil
		}}
	raw, _ := json.Marshal(map[string]any{"admin_email": e.sim.AdminEmail(), "token_url": e.sim.TokenURL(), "api_url": e.sim.URL() + "/"})
	c := sspm.Connector{ID: "g", Kind: sspm.KindGoogle, Config: raw}
	src, err := o.NewSource(ctx, c, e.sim.KeyJSON())
	if err != nil {
		t.Fatal(err)
	}
	google.NoReadAhead(src)
	if st := src.Stages(sspm.LaneFull); st[len(st)-1] != google.StageChannels {
		t.Fatalf("full lane stages %v", st)
	}
	if st := e.src.Stages(sspm.LaneFull); slices.Contains(st, google.StageChannels) {
		t.Fatalf("without a hook the full lane has %v", st)
	}
	if _, err := o.RegisterPush(ctx, c, e.sim.KeyJSON(), hookURL, hookSecret); err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		var out []string
		for _, ch := range e.sim.Channels() {
			out = append(out, ch.ID)
		}
		slices.Sort(out)
		return out
	}
	registered := ids()

	var watermark string
	stage := func() sspm.StepResult {
		t.Helper()
		res, err := src.Step(ctx, sspm.LaneFull, google.StageChannels, watermark)
		if err != nil {
			t.Fatal(err)
		}
		if res.Next != "" {
			t.Fatalf("the channels stage continues: %q", res.Next)
		}
		watermark = res.Watermark
		return res
	}
	// First run, the hour of registration: the registered channels are kept, none made.
	if res := stage(); res.Message != "" || !slices.Equal(ids(), registered) {
		t.Fatalf("first run: %q, channels %v, registered %v", res.Message, ids(), registered)
	}
	logins := 0
	login := func() {
		t.Helper()
		if err := e.sim.RecordLogin(e.sim.Users()[logins%5].ID); err != nil {
			t.Fatal(err)
		}
		logins++
		if _, err := e.sim.DeliverPush(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	login()
	// Runs every 2 hours for a day: channels are replaced with at least 3 hours left, never all gone, the old
	// ones stopped; each login is pushed exactly once.
	replaced := 0
	for range 12 {
		e.clk.Advance(2 * time.Hour)
		before := ids()
		res := stage()
		after := ids()
		if len(after) != len(google.Streams) {
			t.Fatalf("%s: %d live channels: %v", e.clk.Now(), len(after), after)
		}
		if strings.Contains(res.Message, "renewed") {
			replaced++
			if slices.Equal(before, after) || !strings.Contains(res.Message, "renewed 4 push channels") {
				t.Fatalf("%s: %q, channels %v → %v", e.clk.Now(), res.Message, before, after)
			}
		} else if !slices.Equal(before, after) {
			t.Fatalf("%s: channels changed without renewal: %v → %v", e.clk.Now(), before, after)
		}
		for _, ch := range e.sim.Channels() {
			if left := time.UnixMilli(mustInt(t, ch.Expiration)).Sub(e.clk.Now()); left <= time.Hour {
				t.Fatalf("%s: channel %s has %s left after the stage", e.clk.Now(), ch.ID, left)
			}
		}
		login()
	}
	if replaced < 6 {
		t.Fatalf("replaced %d times in a day", replaced)
	}
	h.mu.Lock()
	if len(h.stored) != logins {
		t.Fatalf("%d logins, %d pushed: %v", logins, len(h.stored), h.stored)
	}
	for id, n := range h.stored {
		if n != 1 {
			t.Fatalf("activity %s pushed %d times", id, n)
		}
	}
	h.mu.Unlock()

	// A watch Google refuses: the stage fails saying when push stops, and the live channels stay.
	e.clk.Advance(4 * time.Hour)
	before := ids()
	e.sim.AddFault(googlesim.Fault{Path: googlesim.RouteWatch, Status: http.StatusForbidden, Reason: "forbidden", Times: 1})
	if _, err := src.Step(ctx, sspm.LaneFull, google.StageChannels, watermark); err == nil || !strings.Contains(err.Error(), "stops at") {
		t.Fatalf("refused watch: %v", err)
	}
	if !slices.Equal(before, ids()) {
		t.Fatalf("a failed stage changed the channels: %v → %v", before, ids())
	}
	// Expired meanwhile: the next run makes new channels and says so.
	e.clk.Advance(6 * time.Hour)
	if res := stage(); !strings.Contains(res.Message, "renewed 4") || !strings.Contains(res.Message, "had expired") || len(ids()) != 4 {
		t.Fatalf("after expiry: %q, %v", res.Message, ids())
	}
	// No push for the connector: nothing to renew.
	push = false
	if res, err := src.Step(ctx, sspm.LaneFull, google.StageChannels, watermark); err != nil || res.Message != "" || res.Watermark != "" {
		t.Fatalf("without push: %+v, %v", res, err)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
