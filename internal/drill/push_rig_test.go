package drill_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// pushRig is the application wired as the composition root wires it (app.New: webhook endpoint, inbox lane with
// push-assisted refresh), on a fake clock, with its webhook endpoint served over HTTP and every request to it
// recorded.
type pushRig struct {
	clk   *clocktest.Clock
	sim   *oktasim.Server
	db    *postgres.DB
	app   *app.App
	url   string // the server's base URL
	queue sspm.Queue

	mu       sync.Mutex
	recorded []recorded
}

// recorded is a request the webhook endpoint received.
type recorded struct {
	path   string
	header http.Header
	body   []byte
}

type noInvoker struct{}

func (noInvoker) Invoke(context.Context, sspm.Invocation) error { return nil }

// newPushRig wires the application; queue, when given, is the inbox queue (else the local PostgreSQL queue).
func newPushRig(t *testing.T, hooks oktasim.HookOptions, queue func(*postgres.DB, *clocktest.Clock) sspm.Queue) *pushRig {
	t.Helper()
	clk := clocktest.New(sourcetest.Start)
	r := &pushRig{clk: clk, sim: newOrg(t, clk, hooks), db: postgrestest.New(t, postgres.WithClock(clk.Now))}
	key, err := secrets.GenerateLocalKey()
	must(t, err)
	keys, err := secrets.NewLocalKey(key)
	must(t, err)
	// The evaluator the inbox asks for is not part of the drill.
	r.app, err = app.New(app.Deps{DB: r.db, Keys: keys, Registry: connector.NewRegistry(okta.NewKind(oktaOptions(clk))),
		Invoker: noInvoker{}, Now: clk.Now})
	must(t, err)
	r.app.Runner.Now, r.app.Runner.Sleep = clk.Now, clk.Sleep
	if queue == nil {
		r.queue = r.db.Queue(app.InboxQueue, 5)
	} else {
		r.queue = queue(r.db, clk)
	}
	hooksHandler := (&api.Server{Health: r.db, Hooks: r.app.NewHooks(r.queue)}).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost {
			body, _ := io.ReadAll(req.Body)
			r.mu.Lock()
			r.recorded = append(r.recorded, recorded{path: req.URL.Path, header: req.Header.Clone(), body: body})
			r.mu.Unlock()
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		hooksHandler.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// connector creates a connector of the org, syncs it fully and returns it with its webhook secret.
func (r *pushRig) connector(t *testing.T, id string) (sspm.Connector, string) {
	t.Helper()
	ctx := context.Background()
	c, err := r.app.CreateConnector(ctx, oktaConnector(r.sim, id), []byte(oktasim.DefaultToken))
	must(t, err)
	secret, err := r.app.WebhookSecret(ctx, c.ID)
	must(t, err)
	fullSync(t, r.app.Runner, c.ID, "first-"+id)
	return c, secret
}

// subscribe registers the org's event hook for connector c, as the application does (Okta verifies it).
func (r *pushRig) subscribe(t *testing.T, c sspm.Connector, secret string) {
	t.Helper()
	if _, err := oktaOptions(r.clk).RegisterHook(context.Background(), c, []byte(oktasim.DefaultToken), r.hookURL(c.ID), secret); err != nil {
		t.Fatal(err)
	}
}

func (r *pushRig) hookURL(id string) string { return r.url + "/hooks/okta/" + id }

// changeOrg makes changes whose events Okta pushes, some of them undoing others (so that an order-dependent
// inbox would end elsewhere): a user deactivated, a membership added and removed, a user suspended and
// unsuspended, a membership added.
func (r *pushRig) changeOrg(t *testing.T) {
	t.Helper()
	r.clk.Advance(time.Minute)
	users, groups := orgUsers(r.sim), orgGroups(r.sim)
	must(t, r.sim.DeactivateUser(users[1]))
	must(t, r.sim.AddGroupMember(groups[3], users[0]))
	must(t, r.sim.SuspendUser(users[2]))
	must(t, r.sim.RemoveGroupMember(groups[3], users[0]))
	must(t, r.sim.UnsuspendUser(users[2]))
	must(t, r.sim.AddGroupMember(groups[4], users[5]))
}

// deliver has Okta send its queued events to the subscribed hooks; it returns how many deliveries it made.
func (r *pushRig) deliver(t *testing.T) int {
	t.Helper()
	rep, err := r.sim.DeliverHooks(context.Background())
	if err != nil || rep.Failed != 0 || rep.Batches < 3 {
		t.Fatalf("deliver: %+v %v", rep, err)
	}
	return rep.Batches
}

// received lists the deliveries recorded for connector id.
func (r *pushRig) received(id string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, rec := range r.recorded {
		if rec.path == "/hooks/okta/"+id {
			out = append(out, rec)
		}
	}
	return out
}

// send posts a recorded delivery to connector id's endpoint with its secret, as Okta would have.
func (r *pushRig) send(t *testing.T, id, secret string, d recorded) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.hookURL(id), bytes.NewReader(d.body))
	must(t, err)
	req.Header = d.header.Clone()
	req.Header.Set("Authorization", secret)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery answered %d", resp.StatusCode)
	}
}

// process receives up to n queued messages at once, runs the inbox lane on them and acknowledges them; it
// returns how many it handled.
func (r *pushRig) process(t *testing.T, n int) int {
	t.Helper()
	ctx := context.Background()
	msgs, err := r.queue.Receive(ctx, n, time.Minute)
	must(t, err)
	if failed := r.app.NewInbox().Process(ctx, msgs); len(failed) > 0 {
		t.Fatalf("inbox failures: %+v", failed)
	}
	for _, m := range msgs {
		must(t, r.queue.Ack(ctx, m.Receipt))
	}
	return len(msgs)
}

func orgUsers(sim *oktasim.Server) []string {
	var out []string
	for _, p := range sim.Company().People {
		if id, ok := sim.UserID(p.ID); ok {
			out = append(out, id)
		}
	}
	return out
}

func orgGroups(sim *oktasim.Server) []string {
	var out []string
	for _, g := range sim.Company().Groups {
		if id, ok := sim.GroupID(g.Name); ok {
			out = append(out, id)
		}
	}
	return out
}
