package alert

import (
	"context"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Store is the outbox's storage (postgres.DB).
type Store interface {
	// EnqueueAlerts inserts pending rows; an existing (destination, alert id) is left alone. It returns how
	// many rows are new.
	EnqueueAlerts(ctx context.Context, entries []Entry) (int64, error)
	// ExpireAlerts marks dead the due rows of destinations that used their last attempt without finishing it
	// (their deliverer died), and returns how many.
	ExpireAlerts(ctx context.Context, destinations []string, maxAttempts int) (int64, error)
	// ClaimAlerts leases up to c.Limit due rows of c.Destinations (SKIP LOCKED), counting an attempt each.
	ClaimAlerts(ctx context.Context, c Claim) ([]Delivery, error)
	// AlertDelivered, AlertFailed and ReleaseAlert finish a claim; ErrClaimLost when the claim is no longer the
	// row's (its lease ran out and another deliverer took it).
	AlertDelivered(ctx context.Context, id int64, claim string) error
	// AlertFailed records a failed attempt: pending again after retryIn, or dead.
	AlertFailed(ctx context.Context, id int64, claim string, retryIn time.Duration, dead bool, lastError string) error
	// ReleaseAlert gives a claimed row back, due now, without counting its attempt (the deliverer stopped).
	ReleaseAlert(ctx context.Context, id int64, claim string) error
	// PruneAlerts deletes delivered and dead rows last changed before before.
	PruneAlerts(ctx context.Context, before time.Time) (int64, error)
}

// ErrClaimLost is returned when finishing a claim that is no longer the row's.
var ErrClaimLost = sspm.ErrAlertClaimLost

// The outbox's rows are the domain's (sspm), so the store that keeps them needs no alert package.
type (
	// Entry is one row to enqueue.
	Entry = sspm.AlertEntry
	// Claim asks for due rows (rows that used MaxAttempts are expired instead: ExpireAlerts).
	Claim = sspm.AlertClaim
	// Delivery is a claimed row.
	Delivery = sspm.AlertDelivery
)

// DeliverOptions tune a Deliverer; zero values take the defaults.
type DeliverOptions struct {
	Batch       int           // rows claimed at once (default 20)
	Workers     int           // concurrent sends (default 4)
	SendTimeout time.Duration // one attempt (default 15 s)
	// Lease is how long a claim holds a row (default SendTimeout + 1 minute); after it the row is due again.
	Lease time.Duration
	// MaxAttempts before a row is dead (default 10). Backoff is the wait after the first failed attempt
	// (default 30 s), doubled after each further one up to MaxBackoff (default 1 hour), with jitter: with the
	// defaults a destination gets about 3.5 hours to recover.
	MaxAttempts int
	Backoff     time.Duration
	MaxBackoff  time.Duration
	// BaseURL is the admin UI's address: alerts link to <BaseURL>/findings/<id>.
	BaseURL string
	Logger  *slog.Logger
}

func (o DeliverOptions) withDefaults() DeliverOptions {
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 15 * time.Second
	}
	if o.Lease <= o.SendTimeout {
		o.Lease = o.SendTimeout + time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.Backoff <= 0 {
		o.Backoff = 30 * time.Second
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = max(time.Hour, o.Backoff)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Report says what a delivery pass did.
type Report struct {
	Delivered int
	Retried   int // failed attempts that will be retried
	Dead      int // rows that failed for good (permanent failure or last attempt)
	Released  int // claims given back unfinished because the pass was stopped
}

// Add adds another report's counts.
func (r *Report) Add(o Report) {
	r.Delivered += o.Delivered
	r.Retried += o.Retried
	r.Dead += o.Dead
	r.Released += o.Released
}

// Deliverer sends the outbox's due rows to their destinations. Several deliverers (processes, Lambda
// invocations) may run at once: each claims different rows. It is safe for concurrent use.
type Deliverer struct {
	store     Store
	notifiers map[string]Notifier
	names     []string
	o         DeliverOptions
	wake      chan struct{}
}

// NewDeliverer returns a deliverer of the rows of the destinations in notifiers (by destination name). Rows of
// other destinations stay pending for a deliverer that has them.
func NewDeliverer(store Store, notifiers map[string]Notifier, o DeliverOptions) *Deliverer {
	return &Deliverer{store: store, notifiers: notifiers, names: slices.Sorted(maps.Keys(notifiers)),
		o: o.withDefaults(), wake: make(chan struct{}, 1)}
}

// Destinations returns the names of the destinations the deliverer sends to.
func (d *Deliverer) Destinations() []string { return slices.Clone(d.names) }

// Deliver sends due rows, batch after batch, until none is due or ctx is about to end: it claims no more once
// less than one send timeout (plus a margin) is left before ctx's deadline. It returns what it did; an error
// only when the outbox could not be read.
func (d *Deliverer) Deliver(ctx context.Context) (Report, error) {
	var rep Report
	if len(d.names) == 0 {
		return rep, nil
	}
	for ctx.Err() == nil {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d.o.SendTimeout+5*time.Second {
			break
		}
		// Claims are not interrupted by ctx: a claim committed whose answer was lost would hold its rows for a
		// whole lease. ctx is checked between them.
		dbctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		expired, err := d.store.ExpireAlerts(dbctx, d.names, d.o.MaxAttempts)
		var batch []Delivery
		if err == nil {
			batch, err = d.store.ClaimAlerts(dbctx, Claim{Destinations: d.names, Limit: d.o.Batch, Lease: d.o.Lease, MaxAttempts: d.o.MaxAttempts})
		}
		cancel()
		if expired > 0 {
			rep.Dead += int(expired)
			d.o.Logger.Error("alert deliveries dead: their last attempt never finished", "rows", expired)
		}
		if err != nil {
			return rep, err
		}
		rep.Add(d.send(ctx, batch))
		if len(batch) < d.o.Batch {
			break
		}
	}
	return rep, nil
}

// send delivers a claimed batch with up to Workers concurrent sends.
func (d *Deliverer) send(ctx context.Context, batch []Delivery) Report {
	var (
		mu   sync.Mutex
		rep  Report
		wg   sync.WaitGroup
		sema = make(chan struct{}, d.o.Workers)
	)
	for _, row := range batch {
		sema <- struct{}{}
		wg.Go(func() {
			defer func() { <-sema }()
			r := d.one(ctx, row)
			mu.Lock()
			rep.Add(r)
			mu.Unlock()
		})
	}
	wg.Wait()
	return rep
}

// one makes one attempt of a claimed row and records its outcome.
func (d *Deliverer) one(ctx context.Context, row Delivery) Report {
	log := d.o.Logger.With("destination", row.Destination, "alert", row.Alert.ID, "finding", row.Alert.DedupeKey,
		"attempt", row.Attempts)
	finish := context.WithoutCancel(ctx) // record the outcome even when ctx ended meanwhile
	n := d.notifiers[row.Destination]
	a := row.Alert
	if d.o.BaseURL != "" && a.FindingID != 0 {
		a.URL = FindingURL(d.o.BaseURL, a.FindingID)
	}
	sendCtx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	err := n.Notify(sendCtx, a)
	cancel()
	switch {
	case err == nil:
		if err := d.store.AlertDelivered(finish, row.ID, row.Claim); err != nil {
			log.Warn("alert delivered, but the outbox row was not updated (it may be sent again)", "err", err)
		}
		log.Info("alert delivered", "change", a.Change, "severity", a.Severity)
		return Report{Delivered: 1}
	case ctx.Err() != nil && !IsPermanent(err):
		// The pass was stopped (shutdown, the Lambda's time budget): not the destination's fault.
		if err := d.store.ReleaseAlert(finish, row.ID, row.Claim); err != nil {
			log.Warn("release alert claim", "err", err)
		}
		return Report{Released: 1}
	}
	msg := err.Error()
	if IsPermanent(err) || row.Attempts >= d.o.MaxAttempts {
		if ferr := d.store.AlertFailed(finish, row.ID, row.Claim, 0, true, msg); ferr != nil {
			log.Warn("record dead alert", "err", ferr)
		}
		log.Error("alert delivery failed for good: the alert is dead", "err", msg, "permanent", IsPermanent(err))
		return Report{Dead: 1}
	}
	wait := d.backoff(row.Attempts)
	if ra := retryAfterOf(err); ra > wait {
		wait = min(ra, d.o.MaxBackoff)
	}
	if ferr := d.store.AlertFailed(finish, row.ID, row.Claim, wait, false, msg); ferr != nil {
		log.Warn("record failed alert attempt", "err", ferr)
	}
	log.Warn("alert delivery failed; will retry", "err", msg, "retry_in", wait.Round(time.Second))
	return Report{Retried: 1}
}

// backoff is the wait after failed attempt n (1-based): Backoff·2^(n-1), at most MaxBackoff, less up to a
// quarter of jitter.
func (d *Deliverer) backoff(n int) time.Duration {
	wait := d.o.MaxBackoff
	if n-1 < 32 {
		if w := d.o.Backoff << (n - 1); w > 0 && w < wait {
			wait = w
		}
	}
	return wait - rand.N(wait/4+1)
}

// Wake makes a running Run deliver now instead of at its next poll.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends: at once, then every poll and whenever Wake is called. Once an hour it prunes
// finished rows older than retention (0: 30 days). Errors are logged.
func (d *Deliverer) Run(ctx context.Context, poll, retention time.Duration) {
	if poll <= 0 {
		poll = 10 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	var pruned time.Time
	for {
		if _, err := d.Deliver(ctx); err != nil && ctx.Err() == nil {
			d.o.Logger.Error("alert delivery", "err", err)
		}
		if time.Since(pruned) > time.Hour && ctx.Err() == nil {
			if _, err := d.Prune(ctx, retention); err != nil {
				d.o.Logger.Warn("prune alert outbox", "err", err)
			}
			pruned = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// DefaultRetention is how long delivered and dead rows are kept.
const DefaultRetention = 30 * 24 * time.Hour

// Prune deletes delivered and dead rows older than retention (0: DefaultRetention).
func (d *Deliverer) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		retention = DefaultRetention
	}
	return d.store.PruneAlerts(ctx, time.Now().Add(-retention))
}
