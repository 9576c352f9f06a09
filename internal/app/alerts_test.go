package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/identity"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// flaky is a destination that fails while down is set.
type flaky struct {
	mu   sync.Mutex
	down bool
	got  []alert.Alert
}

func (f *flaky) Name() string { return "flaky" }
func (f *flaky) Notify(_ context.Context, a alert.Alert) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errors.New("connection refused")
	}
	f.got = append(f.got, a)
	return nil
}

func (f *flaky) delivered() []alert.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]alert.Alert(nil), f.got...)
}

// The local runtime's wiring: the evaluator's sink enqueues, and an enqueue wakes the deliverer's loop. A failing
// destination keeps its alert in the outbox; a later deliverer (after a restart) delivers it.
func TestAlertsAreEnqueuedAndDeliveredAfterTheDestinationRecovers(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t)
	key, _ := secrets.GenerateLocalKey()
	k, err := secrets.NewLocalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Deps{DB: db, Keys: k, Registry: connector.NewRegistry(testKind), Logger: slog.New(slog.DiscardHandler),
		AlertRoutes: []alert.Route{{Destination: alert.DestinationWebhook, MinSeverity: "medium"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Alerting() || a.Evaluator.Alerts == nil {
		t.Fatal("the evaluator does not enqueue into the outbox")
	}
	dest := &flaky{down: true}
	ctx, stop := context.WithCancel(context.Background())
	retried := make(chan struct{}, 1)
	logger := slog.New(&onMessage{msg: "alert delivery failed; will retry", ch: retried})
	d := a.NewAlertDeliverer(map[string]alert.Notifier{alert.DestinationWebhook: dest},
		alert.DeliverOptions{BaseURL: "http://localhost:8080", Logger: logger})
	done := make(chan struct{})
	go func() { d.Run(ctx, time.Hour, 0); close(done) }() // no polling: only an enqueue wakes it

	// Two findings open: the store enqueues the alert the route takes (the low one is below its minimum) in the
	// transaction that opens them, and the evaluator's hand-off wakes the deliverer.
	finding := sspm.Finding{DedupeKey: "identity:IDENT-MFA-001:1", Kind: sspm.FindingIdentity, RulesetKey: identity.RulesetKey,
		RuleKey: "IDENT-MFA-001", Severity: "high", Title: "Admin without MFA", Subject: "ada", SeenAt: time.Now()}
	low := finding
	low.DedupeKey, low.Severity = "identity:IDENT-MFA-001:2", "low"
	fc, err := db.ObserveFindings(context.Background(), []sspm.Finding{finding, low})
	if err != nil || len(fc.Transitions) != 2 {
		t.Fatalf("observe: %+v %v", fc, err)
	}
	a.Evaluator.Alerts.NotifyTransitions(fc.Transitions) // returns at once; the destination is down
	select {                                             // the hand-off woke the deliverer, whose attempt failed and was recorded
	case <-retried:
	case <-time.After(time.Minute):
		t.Fatal("the hand-off did not wake the deliverer")
	}
	var rows, attempts int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(*), coalesce(sum(attempts), 0) FROM alert_outbox
		WHERE state = 'pending' AND claim IS NULL AND next_attempt_at > now()`).Scan(&rows, &attempts); err != nil || rows != 1 || attempts != 1 {
		t.Fatalf("outbox: %d pending rows in back-off, %d attempts (%v); want the one failed attempt", rows, attempts, err)
	}
	if got := dest.delivered(); len(got) != 0 {
		t.Fatalf("delivered %v while down", got)
	}
	stop()
	<-done // the process stops with the alert undelivered

	dest.mu.Lock()
	dest.down = false
	dest.mu.Unlock()
	if _, err := db.Pool().Exec(context.Background(), `UPDATE alert_outbox SET next_attempt_at = now()`); err != nil {
		t.Fatal(err)
	}
	restarted := a.NewAlertDeliverer(map[string]alert.Notifier{alert.DestinationWebhook: dest}, alert.DeliverOptions{BaseURL: "http://localhost:8080"})
	rep, err := restarted.Deliver(context.Background())
	if err != nil || rep.Delivered != 1 {
		t.Fatalf("deliver after restart: %+v %v", rep, err)
	}
	got := dest.delivered()
	var id int64
	for _, tr := range fc.Transitions {
		if tr.Finding.Severity == "high" {
			id = tr.ID
		}
	}
	if len(got) != 1 || got[0].FindingID != id || got[0].URL != fmt.Sprintf("http://localhost:8080/findings/%d", id) {
		t.Fatalf("delivered %+v, want finding %d (the low one is below the minimum severity)", got, id)
	}
}

// onMessage is a log handler that signals ch each time a record with message msg is logged: a test waits on it
// for what a background loop logs after it acted.
type onMessage struct {
	msg string
	ch  chan struct{}
}

func (h *onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h *onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}
func (h *onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *onMessage) WithGroup(string) slog.Handler      { return h }
