package awsrun_test

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awskms/kmsfake"
	"github.com/open-sspm/open-sspm/internal/awslambda/lambdafake"
	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/awssfn/sfnfake"
	"github.com/open-sspm/open-sspm/internal/awssqs/sqsfake"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

func TestMain(m *testing.M) { postgrestest.Main(m) }

// tailStoresEvents runs the tail state machine's steps for a connector's stream, as the Step Functions loop would,
// until the stream has nothing more waiting (at most about a hundred steps), and checks that it stored events.
func tailStoresEvents(t *testing.T, rt *awsrun.Runtime, connectorID, stream string) {
	t.Helper()
	state := awsrun.TailStepInput{ConnectorID: connectorID, Stream: stream}
	for i := 0; ; i++ {
		step, err := rt.TailStep(t.Context(), state)
		if err != nil {
			t.Fatalf("tail step %d: %v", i+1, err)
		}
		if step.Done {
			t.Fatalf("tail step %d: the stream cannot be tailed: %+v", i+1, step)
		}
		if !step.More || i > 100 {
			break
		}
		state = awsrun.TailStepInput{ConnectorID: step.ConnectorID, Stream: step.Stream, Iteration: step.Iteration}
	}
	if n, err := rt.DB.CountEvents(t.Context(), connectorID); err != nil || n == 0 {
		t.Fatalf("events stored by the tail = %d (%v)", n, err)
	}
}

// provider is the test connector kind's "provider": a number of users read one page at a time (each page taking
// pageTime on clock, when the test gives one), an event stream served from scripted pages, and push deliveries of
// events.
type provider struct {
	mu       sync.Mutex
	users    int
	pageTime time.Duration
	clock    *clocktest.Clock
	failSync bool
	admins   bool              // users are admins with an email and without MFA (identity findings)
	stream   []sspm.StreamPage // pages ReadStream serves in turn; then empty pages
	reads    int
	// limitAt (a cursor) answers once with a rate-limit wait until limitUntil; streamErr fails stream reads.
	limitAt    string
	limitUntil time.Time
	streamErr  error
}

func (p *provider) Stages(l sspm.Lane) []string {
	if l == sspm.LaneFull {
		return []string{"users"}
	}
	return nil
}

func (p *provider) Step(ctx context.Context, _ sspm.Lane, _ string, cursor string) (sspm.StepResult, error) {
	p.mu.Lock()
	users, pageTime, clock, fail, admins := p.users, p.pageTime, p.clock, p.failSync, p.admins
	limited := !p.limitUntil.IsZero() && cursor == p.limitAt
	until := p.limitUntil
	if limited {
		p.limitUntil = time.Time{}
	}
	p.mu.Unlock()
	if limited {
		return sspm.StepResult{}, &sspm.WaitError{Bucket: "users", Until: until}
	}
	if fail {
		return sspm.StepResult{}, errors.New("provider answered 503")
	}
	if err := ctx.Err(); err != nil {
		return sspm.StepResult{}, err
	}
	if clock != nil {
		clock.Advance(pageTime)
	}
	i, _ := strconv.Atoi(cursor)
	acct := sspm.Account{ExternalID: fmt.Sprintf("u%d", i), Kind: sspm.AccountUser, Active: true}
	if admins {
		noMFA := false
		acct.Email, acct.IsAdmin, acct.MFAEnrolled = fmt.Sprintf("u%d@example.com", i), true, &noMFA
	}
	res := sspm.StepResult{Page: sspm.Page{Accounts: []sspm.Account{acct}}}
	if i+1 < users {
		res.Next = strconv.Itoa(i + 1)
	}
	return res, nil
}

// Refresh re-reads what pushed events touched; a target named "boom" makes it fail (a retryable failure).
func (p *provider) Refresh(_ context.Context, targets []sspm.EventTarget) (sspm.Page, error) {
	for _, t := range targets {
		if t.ExternalID == "boom" {
			return sspm.Page{}, errors.New("provider timed out")
		}
	}
	return sspm.Page{}, nil
}

func (p *provider) Streams() []string { return []string{"system_log"} }

func (p *provider) ReadStream(_ context.Context, _ string, cursor string) (sspm.StreamPage, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.streamErr != nil {
		return sspm.StreamPage{}, p.streamErr
	}
	if p.reads < len(p.stream) {
		p.reads++
		return p.stream[p.reads-1], nil
	}
	return sspm.StreamPage{Cursor: cursor}, nil
}

// testDelivery is the push format of the test kind.
type testDelivery struct {
	Events []struct {
		ID     string    `json:"id"`
		At     time.Time `json:"at"`
		Target string    `json:"target"`
	} `json:"events"`
}

func parseDelivery(body []byte) ([]sspm.Event, error) {
	var d testDelivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, err
	}
	var out []sspm.Event
	for _, e := range d.Events {
		if e.ID == "" || e.At.IsZero() {
			return nil, sspm.Errorf(sspm.CodeInvalid, "event without id or time")
		}
		ev := sspm.Event{ProviderEventID: e.ID, Type: "user.session.start", OccurredAt: e.At}
		if e.Target != "" {
			ev.Targets = []sspm.EventTarget{{Type: "User", ExternalID: e.Target}}
		}
		out = append(out, ev)
	}
	return out, nil
}

func delivery(ids ...string) string {
	var parts []string
	for _, id := range ids {
		target := ""
		if id == "boom" {
			target = `,"target":"boom"`
		}
		parts = append(parts, `{"id":"`+id+`","at":"2026-11-26T10:00:00Z"`+target+`}`)
	}
	return `{"events":[` + strings.Join(parts, ",") + `]}`
}

func (p *provider) kind() connector.Kind {
	return connector.Kind{
		Kind:       sspm.KindTestSource,
		NewSource:  func(context.Context, sspm.Connector, []byte) (sspm.Source, error) { return p, nil },
		NewStreams: func(context.Context, sspm.Connector, []byte) (sspm.StreamSource, error) { return p, nil },
		Push: &connector.Push{
			Verify: func(r *http.Request, body, secret []byte) (connector.Verified, error) {
				if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), secret) != 1 {
					return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "bad authorization")
				}
				if r.Method == http.MethodGet {
					return connector.Verified{Challenge: []byte(`{"verification":"` + r.Header.Get("X-Challenge") + `"}`)}, nil
				}
				if _, err := parseDelivery(body); err != nil {
					return connector.Verified{}, sspm.Errorf(sspm.CodeInvalid, "malformed delivery")
				}
				return connector.Verified{DeliveryID: r.Header.Get("X-Delivery")}, nil
			},
			Parse: parseDelivery,
		},
	}
}

// lockedBuffer collects metric lines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// metrics returns the metric sets written so far, each as its root object.
func (b *lockedBuffer) metrics(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// sum adds up a metric over the sets written so far.
func (b *lockedBuffer) sum(t *testing.T, name string) (total float64, sets int) {
	for _, m := range b.metrics(t) {
		if v, ok := m[name].(float64); ok {
			total += v
			sets++
		}
	}
	return total, sets
}

// env is a runtime wired to real PostgreSQL and the AWS fakes, with one enabled connector "t1" of the test kind.
type env struct {
	rt       *awsrun.Runtime
	sqs      *sqsfake.Server
	queueURL string
	dlqURL   string
	lambda   *lambdafake.Server
	sfn      *sfnfake.Server
	machine  string
	metrics  *lockedBuffer
	provider *provider
	secret   string // t1's webhook secret
	now      time.Time
	cfg      awsrun.Config
	clients  awsrun.Clients
}

// newRuntime builds another runtime on the same database and fakes, as another function would, with the
// configuration adjusted by adjust.
func (e *env) newRuntime(t *testing.T, adjust func(*awsrun.Config)) *awsrun.Runtime {
	t.Helper()
	cfg := e.cfg
	if adjust != nil {
		adjust(&cfg)
	}
	rt, err := awsrun.New(context.Background(), cfg, awsrun.Deps{Clients: e.clients, Registry: connector.NewRegistry(e.provider.kind()), Metrics: e.metrics, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return rt
}

const (
	fullFunction      = "open-sspm-full"
	discoveryFunction = "open-sspm-discovery"
)

func setup(t *testing.T) *env {
	t.Helper()
	e := &env{provider: &provider{users: 3}, metrics: &lockedBuffer{}, now: time.Date(2026, 11, 26, 10, 5, 0, 0, time.UTC)}
	kms := kmsfake.NewServer()
	t.Cleanup(kms.Close)
	e.sqs = sqsfake.NewServer()
	t.Cleanup(e.sqs.Close)
	var err error
	if e.queueURL, e.dlqURL, err = e.sqs.CreateQueueWithDLQ("inbox", 3); err != nil {
		t.Fatal(err)
	}
	e.lambda = lambdafake.NewServer()
	t.Cleanup(e.lambda.Close)
	e.lambda.CreateFunction(fullFunction, nil)
	e.lambda.CreateFunction(discoveryFunction, nil)
	e.sfn = sfnfake.NewServer()
	t.Cleanup(e.sfn.Close)
	e.machine = e.sfn.CreateStateMachine("tail")

	cfg := awsrun.Config{
		DatabaseURL:         postgrestest.URL(t),
		KMSKeyARN:           kms.CreateKey(),
		InboxQueueURL:       e.queueURL,
		FullFunction:        fullFunction,
		DiscoveryFunction:   discoveryFunction,
		TailStateMachineARN: e.machine,
		TailWindow:          time.Hour,
		SyncMargin:          time.Minute,
		LogFormat:           "text",
		LogLevel:            "error",
	}
	e.cfg = cfg
	e.clients = awsrun.Clients{KMS: kms.Client(), SQS: e.sqs.Client(), Lambda: e.lambda.Client(), SFN: e.sfn.Client()}
	e.rt = e.newRuntime(t, nil)
	ctx := context.Background()
	if _, err := e.rt.App.CreateConnector(ctx, sspm.Connector{ID: "t1", Kind: sspm.KindTestSource, Name: "Test", Enabled: true, DiscoveryEnabled: true}, []byte("api-token")); err != nil {
		t.Fatal(err)
	}
	if e.secret, err = e.rt.App.WebhookSecret(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	return e
}

// disable turns a connector off.
func (e *env) disable(t *testing.T, id string) {
	t.Helper()
	c, err := e.rt.DB.Connector(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	c.Enabled = false
	if _, err := e.rt.DB.UpdateConnector(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}
