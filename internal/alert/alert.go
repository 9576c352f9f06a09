// Package alert notifies destinations (a Slack incoming webhook, a signed generic webhook, an SNS topic) when a
// finding opens, reopens or escalates in severity.
//
// Delivery goes through a durable outbox: the transaction that records a finding state change inserts one row
// per destination that takes the alert's severity (Outbox.Entries routes them; a cheap insert that never waits
// for a destination; a repeated state change is enqueued once). A Deliverer claims due rows (SKIP LOCKED, so deliverers in several
// processes take disjoint rows), sends each with one attempt of its Notifier, and marks it delivered, pending
// again after a capped exponential back-off, or dead after its last attempt. Nothing is lost when a process
// crashes: an unfinished claim's lease runs out and the row is due again.
package alert

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Alert is the notification of one finding state change (the domain's sspm.Alert): what a webhook receives as
// JSON and what the outbox stores.
type Alert = sspm.Alert

// FromTransition builds the alert of a finding state change.
func FromTransition(t sspm.FindingTransition) Alert {
	f := t.Finding
	return Alert{
		ID: fmt.Sprintf("%d:%s:%d:%s", t.ID, t.Change, t.ReopenedCount, f.Severity), Change: string(t.Change),
		FindingID: t.ID, DedupeKey: f.DedupeKey, Kind: string(f.Kind), Status: string(t.Status), Severity: f.Severity,
		PreviousSeverity: t.PreviousSeverity, Title: f.Title, Subject: f.Subject, RulesetKey: f.RulesetKey,
		RuleKey: f.RuleKey, ConnectorID: f.ConnectorID, At: t.At.UTC(),
	}
}

// Notifier delivers alerts to one destination. Notify makes one delivery attempt (the outbox retries) and
// reports a failure not worth retrying with Permanent, and a destination's request to wait with RetryAfter.
// Implementations never log secrets nor put them (or a URL's path and query) in errors.
type Notifier interface {
	Name() string // for logs: a kind and a non-secret label, e.g. "webhook hooks.example.com"
	Notify(ctx context.Context, a Alert) error
}

// Destination names: the outbox keys rows by them, so they must stay stable.
const (
	DestinationSlack   = "slack"
	DestinationWebhook = "webhook"
	DestinationSNS     = "sns"
)

// Route says that a destination receives alerts from a minimum severity up ("" for every severity).
type Route struct {
	Destination string
	MinSeverity string
}

// Takes reports whether the route receives an alert of severity.
func (r Route) Takes(severity string) bool { return !SeverityBelow(severity, r.MinSeverity) }

// SeverityBelow reports whether severity is below min ("" or an unknown min: nothing is below).
func SeverityBelow(severity, min string) bool {
	m := sspm.SeverityRank(min)
	return m > 0 && sspm.SeverityRank(severity) < m
}

// deliveryError is a failed attempt with how to retry it.
type deliveryError struct {
	err        error
	permanent  bool
	retryAfter time.Duration
}

func (e *deliveryError) Error() string { return e.err.Error() }
func (e *deliveryError) Unwrap() error { return e.err }

// Permanent marks a failure that another attempt would not fix (the outbox marks the row dead at once).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &deliveryError{err: err, permanent: true}
}

// RetryAfter marks a failure after which the destination asked to wait at least d before the next attempt.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &deliveryError{err: err, retryAfter: d}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var de *deliveryError
	return errors.As(err, &de) && de.permanent
}

// retryAfterOf returns the wait a failure asked for (0 when none).
func retryAfterOf(err error) time.Duration {
	var de *deliveryError
	if errors.As(err, &de) {
		return de.retryAfter
	}
	return 0
}

// parseRetryAfter parses a Retry-After header in seconds (0 when absent or not seconds).
func parseRetryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// Outbox enqueues alerts for delivery: one row per alert and route that takes its severity. It implements the
// evaluator's alert sink (lane.AlertSink). It is safe for concurrent use.
type Outbox struct {
	Store  Store
	Routes []Route
	// OnEnqueue, when set, is called after alerts were enqueued (the local runtime wakes its deliverer).
	OnEnqueue func()
}

// Entries routes the alerts of finding state changes: one entry per alert and destination that takes its
// severity. The store calls it inside the transaction that records the changes (postgres.DB.SetAlertRouter), so
// a state change and its alerts commit together.
func (o *Outbox) Entries(ts []sspm.FindingTransition) []Entry {
	alerts := make([]Alert, len(ts))
	for i, t := range ts {
		alerts[i] = FromTransition(t)
	}
	return o.entries(alerts)
}

func (o *Outbox) entries(alerts []Alert) []Entry {
	var entries []Entry
	for _, a := range alerts {
		for _, r := range o.Routes {
			if r.Takes(a.Severity) {
				entries = append(entries, Entry{Destination: r.Destination, Alert: a})
			}
		}
	}
	return entries
}

// NotifyTransitions wakes the deliverer (OnEnqueue) when some route takes one of the state changes. It enqueues
// nothing: the store enqueued their alerts in the transaction that made the changes (Entries). It never blocks
// and never fails an evaluation.
func (o *Outbox) NotifyTransitions(ts []sspm.FindingTransition) {
	if o == nil || o.OnEnqueue == nil {
		return
	}
	for _, t := range ts {
		for _, r := range o.Routes {
			if r.Takes(t.Finding.Severity) {
				o.OnEnqueue()
				return
			}
		}
	}
}

// Enqueue inserts the rows of alerts for every route that takes them, and returns how many rows are new (an
// alert already enqueued for a destination is not enqueued again). Whenever some route takes an alert it calls
// OnEnqueue, also when the rows were already there: the store may have enqueued them with the state change.
func (o *Outbox) Enqueue(ctx context.Context, alerts ...Alert) (int64, error) {
	entries := o.entries(alerts)
	if len(entries) == 0 {
		return 0, nil
	}
	n, err := o.Store.EnqueueAlerts(ctx, entries)
	if err != nil {
		return 0, err
	}
	if o.OnEnqueue != nil {
		o.OnEnqueue()
	}
	return n, nil
}
