package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

func testAlert(id int, severity string) alert.Alert {
	return alert.Alert{ID: fmt.Sprintf("%d:opened:0:%s", id, severity), Change: "opened", FindingID: int64(id),
		DedupeKey: fmt.Sprintf("posture:x/R%d:global::", id), Kind: "posture", Status: "open", Severity: severity,
		Title: "Rule", Subject: "global", RulesetKey: "x", RuleKey: fmt.Sprintf("R%d", id), At: time.Unix(1700000000, 0).UTC()}
}

// clockedStore is a store on its own database whose leases and back-offs run on a fake clock the test advances.
func clockedStore(t *testing.T) (*postgres.DB, *clocktest.Clock) {
	clock := clocktest.New(time.Now())
	return postgrestest.New(t, postgres.WithClock(clock.Now)), clock
}

// outboxRow is one row of the outbox, read directly.
type outboxRow struct {
	state     string
	attempts  int
	dueIn     time.Duration // next_attempt_at - the clock's now
	lastError string
}

func readOutbox(t *testing.T, db *postgres.DB, clock *clocktest.Clock, destination, alertID string) outboxRow {
	t.Helper()
	var r outboxRow
	var due time.Time
	err := db.Pool().QueryRow(context.Background(), `SELECT state, attempts, next_attempt_at, last_error
		FROM alert_outbox WHERE destination = $1 AND alert_id = $2`, destination, alertID).Scan(&r.state, &r.attempts, &due, &r.lastError)
	if err != nil {
		t.Fatal(err)
	}
	r.dueIn = due.Sub(clock.Now())
	return r
}

func counts(t *testing.T, db *postgres.DB) map[string]int64 {
	t.Helper()
	cs, err := db.AlertOutboxCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range cs {
		out[c.Destination+"/"+c.State] = c.Rows
	}
	return out
}

// recorder is a notifier that records what it delivered, failing while fail is set. before, when set, runs at
// the start of each send.
type recorder struct {
	name   string
	before func()
	mu     sync.Mutex
	got    map[string]int // alert id → deliveries
	fail   error
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Notify(ctx context.Context, a alert.Alert) error {
	if r.before != nil {
		r.before()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	if r.got == nil {
		r.got = map[string]int{}
	}
	r.got[a.ID]++
	return nil
}

// Each alert is enqueued once per destination that takes its severity; enqueuing it again (a retried
// evaluation) adds nothing.
func TestAlertOutboxEnqueuesOncePerDestinationAndSeverity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	o := &alert.Outbox{Store: db, Routes: []alert.Route{
		{Destination: alert.DestinationSlack, MinSeverity: "high"},
		{Destination: alert.DestinationWebhook},
		{Destination: alert.DestinationSNS, MinSeverity: "critical"},
	}}
	alerts := []alert.Alert{testAlert(1, "medium"), testAlert(2, "high"), testAlert(3, "critical"), testAlert(4, "info")}
	n, err := o.Enqueue(ctx, alerts...)
	if err != nil || n != 2+4+1 {
		t.Fatalf("enqueued %d (%v), want 7", n, err)
	}
	if n, err := o.Enqueue(ctx, alerts...); err != nil || n != 0 {
		t.Fatalf("enqueued again: %d (%v), want 0", n, err)
	}
	want := map[string]int64{"slack/pending": 2, "webhook/pending": 4, "sns/pending": 1}
	if got := counts(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	// The stored payload is the alert.
	rec := &recorder{name: "sns"}
	d := alert.NewDeliverer(db, map[string]alert.Notifier{alert.DestinationSNS: rec}, alert.DeliverOptions{})
	if rep, err := d.Deliver(ctx); err != nil || rep.Delivered != 1 || rec.got[alerts[2].ID] != 1 {
		t.Fatalf("deliver: %+v %v, got %v", rep, err, rec.got)
	}
	if got := counts(t, db); got["sns/delivered"] != 1 || got["slack/pending"] != 2 {
		t.Fatalf("counts %v: the sns row delivered, the others untouched", got)
	}
}

// Concurrent deliverers claim disjoint rows (SKIP LOCKED): every alert is delivered exactly once.
func TestAlertOutboxConcurrentDeliverersTakeDisjointRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	var entries []alert.Entry
	for i := range 60 {
		entries = append(entries, alert.Entry{Destination: alert.DestinationWebhook, Alert: testAlert(i, "high")})
	}
	if _, err := db.EnqueueAlerts(ctx, entries); err != nil {
		t.Fatal(err)
	}
	// Each deliverer's first send waits until the other's has begun: both hold claimed rows at once.
	var wg sync.WaitGroup
	reports := make([]alert.Report, 2)
	recs := make([]*recorder, 2)
	began := []chan struct{}{make(chan struct{}), make(chan struct{})}
	start := make(chan struct{})
	for i := range reports {
		var once sync.Once
		recs[i] = &recorder{name: "webhook", before: func() { once.Do(func() { close(began[i]) }); <-began[1-i] }}
		d := alert.NewDeliverer(db, map[string]alert.Notifier{alert.DestinationWebhook: recs[i]}, alert.DeliverOptions{Batch: 5, Workers: 2})
		wg.Go(func() {
			<-start
			var err error
			if reports[i], err = d.Deliver(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	got := map[string]int{}
	for _, rec := range recs {
		for id, n := range rec.got {
			got[id] += n
		}
	}
	if len(got) != 60 {
		t.Fatalf("%d alerts delivered, want 60", len(got))
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("alert %s delivered %d times", id, n)
		}
	}
	if reports[0].Delivered+reports[1].Delivered != 60 || reports[0].Delivered == 0 || reports[1].Delivered == 0 {
		t.Errorf("reports %+v, want both deliverers to deliver part of the 60", reports)
	}

	// The claim query alone: concurrent claims never overlap.
	entries = entries[:0]
	for i := range 100 {
		entries = append(entries, alert.Entry{Destination: alert.DestinationSlack, Alert: testAlert(i, "high")})
	}
	if _, err := db.EnqueueAlerts(ctx, entries); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	for range 4 {
		wg.Go(func() {
			for {
				rows, err := db.ClaimAlerts(ctx, alert.Claim{Destinations: []string{alert.DestinationSlack}, Limit: 7, Lease: time.Minute, MaxAttempts: 5})
				if err != nil {
					t.Error(err)
					return
				}
				if len(rows) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rows {
					seen[r.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 100 {
		t.Fatalf("claimed %d distinct rows, want 100", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("row %d claimed %d times", id, n)
		}
	}
}

// A failed attempt is retried after a capped exponential back-off (or the destination's Retry-After), and the
// row is dead after its last attempt. The stored error names the host, never the URL's path or query.
func TestAlertOutboxRetriesWithBackoffThenDead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, clock := clockedStore(t)
	var status atomic.Int32
	status.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status.Load() == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "120")
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	wh, err := alert.NewWebhook(srv.URL+"/hooks/secret-token?sig=abc", "k", outbound.Allowing(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	d := alert.NewDeliverer(db, map[string]alert.Notifier{alert.DestinationWebhook: wh},
		alert.DeliverOptions{MaxAttempts: 4, Backoff: 30 * time.Second, MaxBackoff: 50 * time.Second})
	a := testAlert(1, "high")
	o := &alert.Outbox{Store: db, Routes: []alert.Route{{Destination: alert.DestinationWebhook}}}
	if _, err := o.Enqueue(ctx, a); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		status       int
		minDue, maxD time.Duration
	}{
		{http.StatusServiceUnavailable, 22 * time.Second, 31 * time.Second}, // 30 s less up to a quarter of jitter
		{http.StatusServiceUnavailable, 37 * time.Second, 51 * time.Second}, // 60 s capped at 50 s
		{http.StatusTooManyRequests, 37 * time.Second, 51 * time.Second},    // Retry-After 120 s, capped at 50 s
	}
	for i, s := range steps {
		status.Store(int32(s.status))
		rep, err := d.Deliver(ctx)
		if err != nil || rep.Retried != 1 {
			t.Fatalf("attempt %d: %+v %v", i+1, rep, err)
		}
		r := readOutbox(t, db, clock, alert.DestinationWebhook, a.ID)
		if r.state != "pending" || r.attempts != i+1 || r.dueIn < s.minDue || r.dueIn > s.maxD {
			t.Fatalf("attempt %d: row %+v, want pending, due in %v..%v", i+1, r, s.minDue, s.maxD)
		}
		if !strings.Contains(r.lastError, "status") || strings.Contains(r.lastError, "secret-token") || strings.Contains(r.lastError, "abc") {
			t.Fatalf("last error %q", r.lastError)
		}
		clock.Advance(r.dueIn - time.Millisecond)
		if rep, _ := d.Deliver(ctx); rep != (alert.Report{}) {
			t.Fatalf("a row in back-off was attempted again: %+v", rep)
		}
		clock.Advance(time.Millisecond) // the back-off ends
	}
	status.Store(http.StatusBadGateway)
	rep, err := d.Deliver(ctx)
	if err != nil || rep.Dead != 1 {
		t.Fatalf("last attempt: %+v %v", rep, err)
	}
	if r := readOutbox(t, db, clock, alert.DestinationWebhook, a.ID); r.state != "dead" || r.attempts != 4 || !strings.Contains(r.lastError, "502") {
		t.Fatalf("row %+v, want dead after 4 attempts", r)
	}
	clock.Advance(time.Hour)
	if rep, _ := d.Deliver(ctx); rep != (alert.Report{}) {
		t.Fatalf("a dead row was attempted: %+v", rep)
	}

	// A permanent failure (the destination rejects the request) is dead at once.
	b := testAlert(2, "high")
	if _, err := o.Enqueue(ctx, b); err != nil {
		t.Fatal(err)
	}
	status.Store(http.StatusNotFound)
	if rep, err := d.Deliver(ctx); err != nil || rep.Dead != 1 {
		t.Fatalf("permanent failure: %+v %v", rep, err)
	}
	if r := readOutbox(t, db, clock, alert.DestinationWebhook, b.ID); r.state != "dead" || r.attempts != 1 {
		t.Fatalf("row %+v, want dead after one attempt", r)
	}
}

// A deliverer that dies with a claim leaves the row to its lease: a new deliverer takes it when the lease
// runs out, the dead one's late report is refused, and a row whose last attempt never finished is dead.
func TestAlertOutboxLeaseOfADeadDeliverer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, clock := clockedStore(t)
	a, b := testAlert(1, "high"), testAlert(2, "high")
	if _, err := db.EnqueueAlerts(ctx, []alert.Entry{{Destination: alert.DestinationWebhook, Alert: a}}); err != nil {
		t.Fatal(err)
	}
	claim := alert.Claim{Destinations: []string{alert.DestinationWebhook}, Limit: 10, Lease: 200 * time.Millisecond, MaxAttempts: 3}
	first, err := db.ClaimAlerts(ctx, claim)
	if err != nil || len(first) != 1 || first[0].Attempts != 1 || first[0].Alert.ID != a.ID {
		t.Fatalf("claim = %+v, %v", first, err)
	}
	if again, _ := db.ClaimAlerts(ctx, claim); len(again) != 0 {
		t.Fatalf("a leased row was claimed again: %+v", again)
	}
	clock.Advance(199 * time.Millisecond)
	if again, _ := db.ClaimAlerts(ctx, claim); len(again) != 0 {
		t.Fatalf("a row was claimed again before its lease ran out: %+v", again)
	}
	clock.Advance(time.Millisecond) // the claimer "crashed"; its lease runs out
	rec := &recorder{name: "webhook"}
	d := alert.NewDeliverer(db, map[string]alert.Notifier{alert.DestinationWebhook: rec}, alert.DeliverOptions{MaxAttempts: 3})
	if rep, err := d.Deliver(ctx); err != nil || rep.Delivered != 1 || rec.got[a.ID] != 1 {
		t.Fatalf("new deliverer: %+v %v", rep, err)
	}
	if r := readOutbox(t, db, clock, alert.DestinationWebhook, a.ID); r.state != "delivered" || r.attempts != 2 {
		t.Fatalf("row %+v, want delivered on the second attempt", r)
	}
	if err := db.AlertFailed(ctx, first[0].ID, first[0].Claim, time.Minute, false, "late"); !errors.Is(err, alert.ErrClaimLost) {
		t.Fatalf("late report of the old claim: %v, want ErrClaimLost", err)
	}

	if _, err := db.EnqueueAlerts(ctx, []alert.Entry{{Destination: alert.DestinationWebhook, Alert: b}}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // three claims that never finish
		if rows, err := db.ClaimAlerts(ctx, claim); err != nil || len(rows) != 1 {
			t.Fatalf("claim %d: %+v %v", i+1, rows, err)
		}
		clock.Advance(claim.Lease)
	}
	if rep, err := d.Deliver(ctx); err != nil || rep.Dead != 1 || rec.got[b.ID] != 0 {
		t.Fatalf("deliver: %+v %v", rep, err)
	}
	if r := readOutbox(t, db, clock, alert.DestinationWebhook, b.ID); r.state != "dead" || !strings.Contains(r.lastError, "never finished") {
		t.Fatalf("row %+v, want dead", r)
	}
}

// A deliverer stopped mid-send gives its claims back without counting the attempt.
func TestAlertOutboxStoppedDelivererReleases(t *testing.T) {
	t.Parallel()
	db, clock := clockedStore(t)
	a := testAlert(1, "high")
	if _, err := db.EnqueueAlerts(context.Background(), []alert.Entry{{Destination: alert.DestinationSNS, Alert: a}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	slow := notifierFunc(func(ctx context.Context, _ alert.Alert) error {
		cancel() // the process shuts down while the send is under way
		<-ctx.Done()
		return ctx.Err()
	})
	d := alert.NewDeliverer(db, map[string]alert.Notifier{alert.DestinationSNS: slow}, alert.DeliverOptions{})
	if rep, err := d.Deliver(ctx); err != nil || rep.Released != 1 {
		t.Fatalf("deliver: %+v %v", rep, err)
	}
	if r := readOutbox(t, db, clock, alert.DestinationSNS, a.ID); r.state != "pending" || r.attempts != 0 || r.dueIn > 0 {
		t.Fatalf("row %+v, want pending, due, attempt not counted", r)
	}
}

func TestAlertOutboxPrunesFinishedRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.EnqueueAlerts(ctx, []alert.Entry{
		{Destination: alert.DestinationSlack, Alert: testAlert(1, "high")},
		{Destination: alert.DestinationSlack, Alert: testAlert(2, "high")},
	}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: "slack"}
	d := alert.NewDeliverer(db, map[string]alert.Notifier{alert.DestinationSlack: rec}, alert.DeliverOptions{Batch: 1})
	if rep, err := d.Deliver(ctx); err != nil || rep.Delivered != 2 {
		t.Fatalf("deliver: %+v %v", rep, err)
	}
	if n, err := d.Prune(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("pruned %d fresh rows (%v)", n, err)
	}
	if n, err := db.PruneAlerts(ctx, time.Now().Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("pruned %d (%v), want 2", n, err)
	}
}

type notifierFunc func(ctx context.Context, a alert.Alert) error

func (f notifierFunc) Name() string                                    { return "func" }
func (f notifierFunc) Notify(ctx context.Context, a alert.Alert) error { return f(ctx, a) }

func TestFindingChangesEnqueueTheirAlertsInTheirTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	outbox := &alert.Outbox{Store: db, Routes: []alert.Route{{Destination: "slack", MinSeverity: "high"}, {Destination: "sns"}}}
	db.SetAlertRouter(outbox.Entries)
	finding := func(key, severity string) sspm.Finding {
		return sspm.Finding{DedupeKey: key, Kind: sspm.FindingPosture, RulesetKey: "x", RuleKey: key, Severity: severity,
			Title: "Rule " + key, Subject: "global", SeenAt: time.Now()}
	}

	// Two findings open: the high one goes to both destinations, the low one to SNS only, with no call to the
	// outbox (the store enqueued them with the change).
	if _, err := db.ObserveFindings(ctx, []sspm.Finding{finding("A", "high"), finding("B", "low")}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"slack/pending": 1, "sns/pending": 2}
	if got := counts(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outbox after opening = %v, want %v", got, want)
	}
	// Seeing them again is no change and enqueues nothing.
	if _, err := db.ObserveFindings(ctx, []sspm.Finding{finding("A", "high"), finding("B", "low")}); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outbox after observing again = %v, want %v", got, want)
	}
	// A write refused (another evaluation moved the event watermark first) enqueues nothing either.
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta", Kind: sspm.KindOkta, Name: "Okta", Enabled: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveEventFindings(ctx, "okta", nil, 0, 10); err != nil {
		t.Fatal(err)
	}
	ev := finding("C", "critical")
	ev.Kind, ev.ConnectorID = sspm.FindingEvent, "okta"
	if _, err := db.SaveEventFindings(ctx, "okta", []sspm.Finding{ev}, 0, 42); !errors.Is(err, sspm.ErrBusy) {
		t.Fatalf("save with a stale watermark: %v, want busy", err)
	}
	if got := counts(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outbox after a rolled back write = %v, want %v", got, want)
	}
	if _, err := db.SaveEventFindings(ctx, "okta", []sspm.Finding{ev}, 10, 42); err != nil {
		t.Fatal(err)
	}
	want = map[string]int64{"slack/pending": 2, "sns/pending": 3}
	if got := counts(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outbox after an event finding = %v, want %v", got, want)
	}
}
