// Package alert notifies destinations when a finding opens, reopens or escalates in severity. Deliveries run in
// the background (Dispatcher): a slow or failing destination never blocks the evaluation; each state change is
// delivered once per destination, retried with back-off.
package alert

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/rules"
)

// Alert is the notification of one finding state change; it is what a webhook receives as JSON.
type Alert struct {
	ID               string    `json:"id"` // stable per state change: receivers de-duplicate on it
	Change           string    `json:"change"`
	FindingID        int64     `json:"finding_id"`
	DedupeKey        string    `json:"dedupe_key"`
	Kind             string    `json:"kind"`
	Status           string    `json:"status"`
	Severity         string    `json:"severity"`
	PreviousSeverity string    `json:"previous_severity,omitempty"`
	Title            string    `json:"title"`
	Subject          string    `json:"subject"`
	RulesetKey       string    `json:"ruleset_key"`
	RuleKey          string    `json:"rule_key"`
	ConnectorID      string    `json:"connector_id,omitempty"`
	At               time.Time `json:"at"`
}

// FromTransition builds the alert of a finding state change.
func FromTransition(t rules.FindingTransition) Alert {
	f := t.Finding
	return Alert{
		ID: fmt.Sprintf("%d:%s:%d:%s", t.ID, t.Change, t.ReopenedCount, f.Severity), Change: string(t.Change),
		FindingID: t.ID, DedupeKey: f.DedupeKey, Kind: string(f.Kind), Status: string(t.Status), Severity: f.Severity,
		PreviousSeverity: t.PreviousSeverity, Title: f.Title, Subject: f.Subject, RulesetKey: f.RulesetKey,
		RuleKey: f.RuleKey, ConnectorID: f.ConnectorID, At: t.At.UTC(),
	}
}

// Notifier delivers alerts to one destination. Notify makes the whole delivery attempt, retries included, and
// returns when it succeeded, failed for good, or ctx ended. Implementations never log secrets.
type Notifier interface {
	Name() string // for logs: a kind and a non-secret label, e.g. "webhook hooks.example.com"
	Notify(ctx context.Context, a Alert) error
}

// Destination is a notifier with the minimum severity it receives ("" for every severity).
type Destination struct {
	Notifier    Notifier
	MinSeverity string
}

// Dispatcher delivers alerts to its destinations in the background. Enqueue never blocks: when the queue is
// full the alert is dropped and logged. An alert id is delivered at most once per dispatcher (a repeated state
// change, e.g. from a retried evaluation, is ignored). Close (or Flush) waits for queued deliveries.
type Dispatcher struct {
	dests   []Destination
	logger  *slog.Logger
	queue   chan Alert
	timeout time.Duration

	mu      sync.Mutex
	seen    map[string]struct{}
	order   []string
	pending sync.WaitGroup
	closed  bool
	done    chan struct{}
}

// DispatcherOptions tune a Dispatcher; zero values take defaults.
type DispatcherOptions struct {
	Queue    int           // alerts waiting for delivery (default 1,000)
	Workers  int           // concurrent deliveries (default 4)
	Timeout  time.Duration // one alert's delivery to one destination, retries included (default 2 minutes)
	Remember int           // alert ids remembered for de-duplication (default 10,000)
	Logger   *slog.Logger
}

// NewDispatcher starts a dispatcher for the destinations. With none it accepts and drops every alert.
func NewDispatcher(dests []Destination, o DispatcherOptions) *Dispatcher {
	if o.Queue <= 0 {
		o.Queue = 1000
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Remember <= 0 {
		o.Remember = 10_000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{dests: dests, logger: o.Logger, queue: make(chan Alert, o.Queue), timeout: o.Timeout,
		seen: make(map[string]struct{}, o.Remember), done: make(chan struct{})}
	d.order = make([]string, 0, o.Remember)
	var workers sync.WaitGroup
	for range o.Workers {
		workers.Go(d.work)
	}
	go func() { workers.Wait(); close(d.done) }()
	return d
}

// NotifyTransitions enqueues the alerts of finding state changes (see Enqueue).
func (d *Dispatcher) NotifyTransitions(ts []rules.FindingTransition) {
	for _, t := range ts {
		d.Enqueue(FromTransition(t))
	}
}

// Enqueue queues an alert for every destination without blocking. It reports whether the alert was queued
// (false: a duplicate, no destination, the queue is full, or the dispatcher is closed).
func (d *Dispatcher) Enqueue(a Alert) bool {
	if d == nil || len(d.dests) == 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	if _, dup := d.seen[a.ID]; dup {
		return false
	}
	select {
	case d.queue <- a:
	default:
		d.logger.Warn("alert queue full: alert dropped", "alert", a.ID, "finding", a.DedupeKey)
		return false
	}
	d.pending.Add(1)
	if len(d.order) == cap(d.order) { // forget the oldest id
		delete(d.seen, d.order[0])
		d.order = append(d.order[:0], d.order[1:]...)
	}
	d.seen[a.ID] = struct{}{}
	d.order = append(d.order, a.ID)
	return true
}

func (d *Dispatcher) work() {
	for a := range d.queue {
		for _, dest := range d.dests {
			if SeverityBelow(a.Severity, dest.MinSeverity) {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
			if err := dest.Notifier.Notify(ctx, a); err != nil {
				d.logger.Error("alert delivery failed", "destination", dest.Notifier.Name(), "alert", a.ID,
					"finding", a.DedupeKey, "err", err)
			} else {
				d.logger.Info("alert delivered", "destination", dest.Notifier.Name(), "alert", a.ID, "change", a.Change)
			}
			cancel()
		}
		d.pending.Done()
	}
}

// Flush waits until every alert queued so far was delivered (or failed for good), or ctx ends. Call it before
// a short-lived process (a Lambda invocation) returns.
func (d *Dispatcher) Flush(ctx context.Context) error {
	if d == nil {
		return nil
	}
	idle := make(chan struct{})
	go func() { d.pending.Wait(); close(idle) }()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting alerts and waits for the queued ones, or until ctx ends.
func (d *Dispatcher) Close(ctx context.Context) error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.queue)
	}
	d.mu.Unlock()
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SeverityBelow reports whether severity is below min ("" or an unknown min: nothing is below).
func SeverityBelow(severity, min string) bool {
	m := rules.SeverityRank(min)
	return m > 0 && rules.SeverityRank(severity) < m
}

// retryAfter parses a Retry-After header in seconds (0 when absent or not seconds).
func retryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
