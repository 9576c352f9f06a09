package google_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/secrets"
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

// fakeHooks is connector.Hooks as the application implements it: a registered hook per connector, or
// sspm.CodeNotFound.
type fakeHooks struct {
	mu          sync.Mutex
	url, secret string
	calls       int
}

func (f *fakeHooks) PushHook(_ context.Context, c sspm.Connector) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.url == "" {
		return "", "", sspm.Errorf(sspm.CodeNotFound, "connector %s takes no push deliveries", c.ID)
	}
	return f.url, f.secret, nil
}

func (f *fakeHooks) set(url, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.url, f.secret = url, secret
}

// pushEnv is a domain, a push receiver and a stream source built as the application builds it: the kind bound to
// connector.Deps whose Hooks say where the connector's hook is.
type pushEnv struct {
	*env
	hooks   *fakeHooks
	hook    *pushHook
	hookURL string
	conn    sspm.Connector
	opts    google.Options
	src     sspm.StreamSource
	cursor  string
}

const hookSecret = "push-secret-123"

func newPushEnv(t *testing.T) *pushEnv {
	t.Helper()
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	h := &pushHook{secret: []byte(hookSecret), stored: map[string]int{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := &pushEnv{env: e, hooks: &fakeHooks{}, hook: h, hookURL: srv.URL + "/hooks/google_workspace/g"}
	p.hooks.set(p.hookURL, hookSecret)
	p.opts = google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: e.clk.Now, Sleep: e.clk.Sleep}
	raw, _ := json.Marshal(map[string]any{"admin_email": e.sim.AdminEmail(), "token_url": e.sim.TokenURL(), "api_url": e.sim.URL() + "/"})
	p.conn = sspm.Connector{ID: "g", Kind: sspm.KindGoogle, Config: raw}
	kind := google.NewKind(p.opts).Bind(connector.Deps{Hooks: p.hooks})
	src, err := kind.NewStreams(context.Background(), p.conn, e.sim.KeyJSON())
	if err != nil {
		t.Fatal(err)
	}
	p.src = src
	return p
}

// read reads the channels stream once, keeping its cursor as the tail lane does (only when the read succeeds).
func (p *pushEnv) read(t *testing.T) (sspm.StreamPage, error) {
	t.Helper()
	page, err := p.src.ReadStream(context.Background(), google.StreamChannels, p.cursor)
	if err == nil {
		p.cursor = page.Cursor
		if len(page.Events) != 0 {
			t.Fatalf("the channels stream returned events: %+v", page.Events)
		}
	}
	return page, err
}

func (p *pushEnv) watches() int { return p.sim.Stats().ByRoute[googlesim.RouteWatch] }

func (p *pushEnv) ids() []string {
	var out []string
	for _, ch := range p.sim.Channels() {
		out = append(out, ch.ID)
	}
	slices.Sort(out)
	return out
}

// TestChannelsRenewedBeforeExpiry: the kind bound to connector.Deps.Hooks tails a channels stream. Read every
// minute for a day, as the tail lane reads it, after RegisterPush: the registered channels are adopted, a read
// with nothing due makes no API call, each channel is replaced with half its life left and the old one stopped,
// so push never stops and each activity is delivered once. A domain without push has no such stream.
func TestChannelsRenewedBeforeExpiry(t *testing.T) {
	p := newPushEnv(t)
	ctx := context.Background()
	if got := p.src.Streams(); !slices.Contains(got, google.StreamChannels) {
		t.Fatalf("streams with a hook: %v", got)
	}
	if got := p.env.src.Streams(); slices.Contains(got, google.StreamChannels) {
		t.Fatalf("streams without hooks: %v", got)
	}
	if _, err := p.opts.RegisterPush(ctx, p.conn, p.sim.KeyJSON(), p.hookURL, hookSecret); err != nil {
		t.Fatal(err)
	}
	registered := p.ids()
	if len(registered) != len(google.Streams) {
		t.Fatalf("registered %v", registered)
	}
	// Registering again within the hour keeps the live channels.
	if _, err := p.opts.RegisterPush(ctx, p.conn, p.sim.KeyJSON(), p.hookURL, hookSecret); err != nil || !slices.Equal(p.ids(), registered) {
		t.Fatalf("registering again: %v, channels %v", err, p.ids())
	}
	// First read, the hour of registration: the registered channels are adopted, none made.
	if page, err := p.read(t); err != nil || page.Requests != len(google.Streams) || !slices.Equal(p.ids(), registered) {
		t.Fatalf("first read: %+v %v, channels %v", page, err, p.ids())
	}
	// Nothing due: no API call.
	w := p.watches()
	if page, err := p.read(t); err != nil || page.Requests != 0 || p.watches() != w || page.More {
		t.Fatalf("nothing due: %+v %v, %d watches", page, err, p.watches()-w)
	}
	logins := 0
	login := func() {
		t.Helper()
		if err := p.sim.RecordLogin(p.sim.Users()[logins%5].ID); err != nil {
			t.Fatal(err)
		}
		logins++
		if _, err := p.sim.DeliverPush(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	login()
	start, w := p.clk.Now(), p.watches()
	stops := p.sim.Stats().ByRoute[googlesim.RouteStop]
	for minute := 1; minute <= 24*60; minute++ {
		p.clk.Advance(time.Minute)
		before := p.ids()
		page, err := p.read(t)
		if err != nil {
			t.Fatalf("%s: %v", p.clk.Now(), err)
		}
		after := p.ids()
		if len(after) != len(google.Streams) {
			t.Fatalf("%s: %d live channels after the read: %v (before %v)", p.clk.Now(), len(after), after, before)
		}
		if page.Requests == 0 && !slices.Equal(before, after) {
			t.Fatalf("%s: channels changed without a request: %v → %v", p.clk.Now(), before, after)
		}
		for _, ch := range p.sim.Channels() {
			if left := time.UnixMilli(mustInt(t, ch.Expiration)).Sub(p.clk.Now()); left < 3*time.Hour {
				t.Fatalf("%s: channel %s has %s left after the read", p.clk.Now(), ch.ID, left)
			}
		}
		if minute%30 == 0 {
			login()
		}
	}
	// A channel lives 6 h and is replaced with 3 h left: 8 renewals a day per application, each one watch and
	// one stop.
	renewals := p.watches() - w
	if want := 8 * len(google.Streams); renewals < want || renewals > want+len(google.Streams) {
		t.Fatalf("%d watches in a day from %s, want about %d", renewals, start, want)
	}
	if got := p.sim.Stats().ByRoute[googlesim.RouteStop] - stops; got != renewals {
		t.Fatalf("%d stops for %d renewals", got, renewals)
	}
	p.hook.mu.Lock()
	defer p.hook.mu.Unlock()
	if len(p.hook.stored) != logins {
		t.Fatalf("%d logins, %d pushed: %v", logins, len(p.hook.stored), p.hook.stored)
	}
	for id, n := range p.hook.stored {
		if n != 1 {
			t.Fatalf("activity %s pushed %d times", id, n)
		}
	}
}

// TestChannelsRefusedRenewal: a watch Google refuses fails the read saying when push of that application stops,
// and changes nothing; when other channels were renewed in the same read, they are kept (the read ends with More)
// and the next read, retrying what is still due, reports the refusal; once Google accepts, push goes on. A
// channel that expired meanwhile is replaced too.
func TestChannelsRefusedRenewal(t *testing.T) {
	p := newPushEnv(t)
	if _, err := p.read(t); err != nil {
		t.Fatal(err)
	}
	login := findChannelOf(t, p.sim.Channels(), "login")
	exp := time.UnixMilli(mustInt(t, login.Expiration)).UTC()

	p.clk.Advance(4 * time.Hour) // every channel is due
	before := p.ids()
	p.sim.AddFault(googlesim.Fault{Path: googlesim.RouteWatch, Status: http.StatusForbidden, Reason: "forbidden", Times: len(google.Streams)})
	if _, err := p.read(t); err == nil || !strings.Contains(err.Error(), "push of login activities stops at "+exp.Format(time.RFC3339)) {
		t.Fatalf("refused watches: %v", err)
	}
	if !slices.Equal(before, p.ids()) {
		t.Fatalf("a refused read changed the channels: %v → %v", before, p.ids())
	}

	// Only the login channel's watch refused: the others are renewed and kept, and the next read reports it.
	loginWatch := "/admin/reports/v1/activity/users/all/applications/login/watch"
	p.sim.AddFault(googlesim.Fault{Path: loginWatch, Status: http.StatusForbidden, Reason: "forbidden", Times: 2})
	page, err := p.read(t)
	if err != nil || !page.More {
		t.Fatalf("partly refused: %+v %v", page, err)
	}
	for _, ch := range p.sim.Channels() {
		if left := time.UnixMilli(mustInt(t, ch.Expiration)).Sub(p.clk.Now()); (ch.ID == login.ID) != (left < 3*time.Hour) {
			t.Fatalf("after a partly refused read, channel %s has %s left", ch.ID, left)
		}
	}
	w := p.watches()
	if _, err := p.read(t); err == nil || !strings.Contains(err.Error(), "push of login activities stops at") || p.watches() != w+1 {
		t.Fatalf("the retry: %v after %d watches", err, p.watches()-w)
	}
	if _, err := p.read(t); err != nil || len(p.ids()) != len(google.Streams) || slices.Contains(p.ids(), login.ID) {
		t.Fatalf("accepted again: %v, channels %v", err, p.ids())
	}

	// Expired meanwhile (the tail lane did not run): the next read makes new channels.
	p.clk.Advance(7 * time.Hour)
	if len(p.sim.Channels()) != 0 {
		t.Fatalf("channels live after 7 h: %v", p.ids())
	}
	if page, err := p.read(t); err != nil || page.Requests != len(google.Streams) || len(p.ids()) != len(google.Streams) {
		t.Fatalf("after expiry: %+v %v, %v", page, err, p.ids())
	}
}

// TestChannelsFollowTheHook: a hook registered again at another URL, or with another secret, makes every channel
// due at the next read: new channels deliver to the new hook, the old ones are stopped. Without a registered hook
// the stream reads nothing and asks Google nothing.
func TestChannelsFollowTheHook(t *testing.T) {
	p := newPushEnv(t)
	if _, err := p.read(t); err != nil {
		t.Fatal(err)
	}
	old := p.ids()
	p.clk.Advance(10 * time.Minute)
	moved := httptest.NewServer(p.hook)
	defer moved.Close()
	p.hooks.set(moved.URL+"/hooks/google_workspace/g", hookSecret)
	if page, err := p.read(t); err != nil || page.Requests != 2*len(google.Streams) {
		t.Fatalf("moved hook: %+v %v", page, err)
	}
	for _, ch := range p.sim.Channels() {
		if slices.Contains(old, ch.ID) || !strings.HasPrefix(ch.Address, moved.URL) {
			t.Fatalf("after the move: channel %s to %s (old %v)", ch.ID, ch.Address, old)
		}
	}
	p.hooks.set(moved.URL+"/hooks/google_workspace/g", "rotated-secret")
	if page, err := p.read(t); err != nil || page.Requests != 2*len(google.Streams) {
		t.Fatalf("rotated secret: %+v %v", page, err)
	}
	for _, ch := range p.sim.Channels() {
		if ch.Token != "rotated-secret" {
			t.Fatalf("after the rotation: channel %s has the old token", ch.ID)
		}
	}

	p.hooks.set("", "")
	w, calls := p.watches(), p.hooks.calls
	p.clk.Advance(5 * time.Hour)
	cursor := p.cursor
	page, err := p.read(t)
	if err != nil || page.Requests != 0 || page.Cursor != cursor || p.watches() != w || p.hooks.calls != calls+1 {
		t.Fatalf("without a hook: %+v %v, %d watches", page, err, p.watches()-w)
	}
}

// TestRefusedRenewalShowsOnTheHealthPage: through the application (its registry bound to the App's registered
// hooks, the hook registered by App.RegisterPush), the tail follows the channels stream: it adopts the registered
// channels, renews them when due, and a refused renewal is the stream's last error (the health page's tail status)
// while the tail's other streams are read as before; the next successful read clears it.
func TestRefusedRenewalShowsOnTheHealthPage(t *testing.T) {
	ctx := context.Background()
	db := postgrestest.New(t)
	p := newPushEnv(t)
	key, _ := secrets.GenerateLocalKey()
	keys, err := secrets.NewLocalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Deps{DB: db, Keys: keys, Registry: connector.NewRegistry(google.NewKind(p.opts)), LoopbackHooks: true,
		Logger: slog.New(slog.DiscardHandler), Invoker: noInvoker{}})
	if err != nil {
		t.Fatal(err)
	}
	p.conn.Name, p.conn.Enabled = "Workspace", true
	if _, err := a.CreateConnector(ctx, p.conn, p.sim.KeyJSON()); err != nil {
		t.Fatal(err)
	}
	step := func() (sspm.TailCursor, error) {
		t.Helper()
		_, err := a.Tailer.Step(ctx, p.conn.ID, google.StreamChannels)
		cur, cerr := db.TailCursor(ctx, p.conn.ID, google.StreamChannels)
		if cerr != nil {
			t.Fatal(cerr)
		}
		return cur, err
	}
	// Without a registered hook the stream is there and does nothing.
	if _, err := step(); err != nil || len(p.sim.Channels()) != 0 {
		t.Fatalf("without a hook: %v, %d channels", err, len(p.sim.Channels()))
	}
	if _, _, err := a.RegisterPush(ctx, p.conn.ID, strings.TrimSuffix(p.hookURL, "/hooks/google_workspace/g")); err != nil {
		t.Fatal(err)
	}
	registered := p.ids()
	invs, err := a.TailStreams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var streams []string
	for _, inv := range invs {
		streams = append(streams, inv.Stream)
	}
	if !slices.Equal(streams, append(slices.Clone(google.Streams), google.StreamChannels)) {
		t.Fatalf("tail streams %v", streams)
	}
	if _, err := step(); err != nil || !slices.Equal(p.ids(), registered) || len(registered) != len(google.Streams) {
		t.Fatalf("first read: %v, channels %v, registered %v", err, p.ids(), registered)
	}
	p.clk.Advance(4 * time.Hour)
	p.sim.AddFault(googlesim.Fault{Path: googlesim.RouteWatch, Status: http.StatusForbidden, Reason: "forbidden"})
	if cur, err := step(); err == nil || !strings.Contains(cur.LastError, "push of login activities stops at") {
		t.Fatalf("refused: %v, last error %q", err, cur.LastError)
	}
	if res, err := a.Tailer.Step(ctx, p.conn.ID, "login"); err != nil || res.Stored == 0 {
		t.Fatalf("the login stream beside a failing channels stream: %+v %v", res, err)
	}
	p.sim.ClearFaults()
	if cur, err := step(); err != nil || cur.LastError != "" || len(p.ids()) != len(google.Streams) || slices.Equal(p.ids(), registered) {
		t.Fatalf("renewed: %v, last error %q, channels %v", err, cur.LastError, p.ids())
	}
}

func findChannelOf(t *testing.T, chs []googlesim.Channel, app string) googlesim.Channel {
	t.Helper()
	for _, ch := range chs {
		if strings.HasPrefix(ch.ID, "oss-"+app+"-") {
			return ch
		}
	}
	t.Fatalf("no %s channel in %v", app, chs)
	return googlesim.Channel{}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
