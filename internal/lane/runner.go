package lane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/discovery"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// RunStore is what the Runner needs from the database.
type RunStore interface {
	Connector(ctx context.Context, id string) (sspm.Connector, error)
	StartRun(ctx context.Context, connectorID string, lane sspm.Lane, trigger sspm.Trigger, owner string, ttl time.Duration) (sspm.SyncRun, sspm.Lease, bool, error)
	WritePage(ctx context.Context, connectorID string, l sspm.Lease, page *sspm.Page, state sspm.RunState) (map[string]int64, error)
	SaveRunState(ctx context.Context, l sspm.Lease, s sspm.RunState) error
	Heartbeat(ctx context.Context, l sspm.Lease) error
	ReleaseRun(ctx context.Context, l sspm.Lease) error
	PauseRun(ctx context.Context, l sspm.Lease, p sspm.Progress, resumeAt time.Time) error
	FinishRun(ctx context.Context, connectorID string, lane sspm.Lane, l sspm.Lease, o sspm.RunOutcome) (map[sspm.Entity]int64, error)
	Schedule(ctx context.Context, connectorID string, lane sspm.Lane) (sspm.LaneSchedule, error)
	Watermark(ctx context.Context, connectorID string, lane sspm.Lane, stage string) (string, error)
}

// SourceFactory builds a connector's source from its stored configuration and decrypted secret.
type SourceFactory func(ctx context.Context, c sspm.Connector) (sspm.Source, error)

// Backoff spaces retries after failed runs: Base × 2^(failures-1), at most Max.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// Delay returns the wait after the given number of failures in a row.
func (b Backoff) Delay(failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := float64(b.Base) * math.Pow(2, float64(failures-1))
	if d > float64(b.Max) {
		return b.Max
	}
	return time.Duration(d)
}

// DefaultBackoff starts at one minute and stops growing at six hours.
var DefaultBackoff = Backoff{Base: time.Minute, Max: 6 * time.Hour}

// Runner runs a connector's full or discovery lane as a sync run: one run per connector and lane at a time
// (a lease with heartbeat), page by page with a checkpoint after each committed page, within a time budget,
// expiring unseen rows only at the end of a complete, successful run.
type Runner struct {
	Store    RunStore
	Sources  SourceFactory
	Logger   *slog.Logger
	Now      func() time.Time
	LeaseTTL time.Duration // default 2 minutes
	Backoff  Backoff       // default DefaultBackoff
	// AfterSuccess runs after a successful run is closed (link identities, invoke the evaluator). Its error is
	// logged; it does not change the run's status.
	AfterSuccess func(ctx context.Context, c sspm.Connector, run sspm.SyncRun) error
	// Sleep waits for a paused run's short remaining rate-limit wait; nil means a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Tick returns a channel that ticks every d, and a function that stops it: the heartbeat's beat (every third
	// of the lease's TTL). nil means a time.Ticker; tests tick the heartbeat themselves.
	Tick func(d time.Duration) (<-chan time.Time, func())
}

// ImmediateResume is the longest rate-limit wait a paused run leaves to an invocation started at once: a run
// whose ResumeAt is nearer than this returns OutcomeContinue (invoke again now; that invocation sleeps the rest),
// a later one OutcomeWaiting (the dispatcher continues it after ResumeAt).
const ImmediateResume = time.Minute

// Outcome says how a Run call ended.
type Outcome string

const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
	OutcomeCanceled  Outcome = "canceled"
	OutcomeContinue  Outcome = "continue" // the budget ran out; invoke again to continue the same run
	OutcomeBusy      Outcome = "busy"     // another invocation holds the run; nothing to do
	// OutcomeWaiting: a provider's rate limit asks for a wait beyond the budget; the run is paused (checkpoint
	// kept, lease released) until Result.ResumeAt, and the dispatcher continues it then. Do not invoke again now.
	OutcomeWaiting Outcome = "waiting"
)

// Result reports a Run call.
type Result struct {
	Outcome Outcome
	Run     sspm.SyncRun
	Resumed bool
	Expired map[sspm.Entity]int64
	Err     error // the run's error for OutcomeFailed; the *sspm.WaitError for OutcomeWaiting
	// ResumeAt, for OutcomeWaiting (and OutcomeContinue after a short rate-limit pause), is when the run may go on:
	// no invocation should continue it before.
	ResumeAt time.Time
}

// Run runs (or continues) inv's lane for inv's connector until it completes, fails, or deadline passes.
// owner names this invocation (unique per invocation: a Lambda request id, a process-scoped counter).
// A returned error means the run's state could not be recorded; the run's own failure is in Result.
func (r *Runner) Run(ctx context.Context, inv sspm.Invocation, owner string, deadline time.Time) (Result, error) {
	if inv.Lane != sspm.LaneFull && inv.Lane != sspm.LaneDiscovery {
		return Result{}, sspm.Errorf(sspm.CodeInvalid, "runner: lane %s is not a sync lane", inv.Lane)
	}
	c, err := r.Store.Connector(ctx, inv.ConnectorID)
	if err != nil {
		return Result{}, err
	}
	if !c.Enabled {
		return Result{}, sspm.Errorf(sspm.CodeInvalid, "connector %s is disabled", c.ID)
	}
	if inv.Lane == sspm.LaneDiscovery && !c.DiscoveryEnabled {
		return Result{}, sspm.Errorf(sspm.CodeInvalid, "discovery is off for connector %s", c.ID)
	}
	trigger := inv.Trigger
	if trigger == "" {
		trigger = sspm.TriggerSchedule
	}
	run, lease, resumed, err := r.Store.StartRun(ctx, c.ID, inv.Lane, trigger, owner, r.leaseTTL())
	if errors.Is(err, sspm.ErrBusy) {
		return Result{Outcome: OutcomeBusy}, nil
	}
	if err != nil {
		return Result{}, err
	}
	log := r.logger().With("connector", c.ID, "lane", inv.Lane, "run", run.ID)
	log.Info("run started", "resumed", resumed, "trigger", run.Trigger, "stage", run.Checkpoint.Stage, "attempts", run.Attempts, "lost_leases", run.LostLeases)

	// A lost lease cancels the run: the heartbeat stops the work, and every write checks the lease anyway.
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopHeartbeat := r.heartbeat(runCtx, lease, cancel)
	defer stopHeartbeat()

	res := Result{Run: run, Resumed: resumed}
	if wait := run.ResumeAt.Sub(r.now()); wait > 0 {
		// The run waits for a provider's rate limit: sleep a short rest, else leave it paused without a step.
		if wait > ImmediateResume || (!deadline.IsZero() && run.ResumeAt.After(deadline)) {
			log.Info("run still waits for the provider's rate limit", "until", run.ResumeAt)
			return r.stillWaiting(ctx, lease, res)
		}
		log.Info("run waits for the provider's rate limit", "until", run.ResumeAt)
		if err := sspm.Sleep(runCtx, wait, r.Sleep); err != nil {
			if errors.Is(context.Cause(runCtx), sspm.ErrLeaseLost) {
				res.Outcome, res.Err = OutcomeCanceled, sspm.ErrLeaseLost
				return res, nil
			}
			return r.stillWaiting(ctx, lease, res)
		}
	}
	src, err := r.Sources(runCtx, c)
	if err != nil {
		return r.fail(ctx, c, inv.Lane, lease, res, "config", fmt.Errorf("build %s source: %w", c.Kind, err), log)
	}
	// Steps stop at the deadline, and so do the connectors' rate-limit waits: a longer wait ends the step with a
	// *sspm.WaitError and the run pauses until the provider's reset.
	stepCtx := sspm.WithWaitBudget(runCtx, deadline, r.Now)
	done, err := r.steps(stepCtx, c, inv.Lane, src, lease, &res.Run, deadline)
	wait, waiting := sspm.AsWait(err)
	switch {
	case err != nil && errors.Is(context.Cause(runCtx), sspm.ErrLeaseLost):
		log.Warn("run lost its lease; stopping without writing", "err", err)
		res.Outcome, res.Err = OutcomeCanceled, sspm.ErrLeaseLost
		return res, nil
	case waiting && ctx.Err() == nil:
		return r.pause(ctx, lease, res, wait, log)
	case err != nil && ctx.Err() != nil:
		// The invocation is shutting down: keep the run for the next invocation.
		if rerr := r.Store.ReleaseRun(context.WithoutCancel(ctx), lease); rerr != nil {
			log.Warn("release run on shutdown", "err", rerr)
		}
		res.Outcome = OutcomeContinue
		return res, nil
	case err != nil:
		return r.fail(ctx, c, inv.Lane, lease, res, classify(err), err, log)
	case !done:
		if err := r.Store.ReleaseRun(ctx, lease); err != nil {
			return res, err
		}
		log.Info("run paused at its time budget", "stage", res.Run.Checkpoint.Stage)
		res.Outcome = OutcomeContinue
		return res, nil
	}
	return r.succeed(ctx, c, inv.Lane, lease, res, log)
}

// pause ends the invocation of a run whose step must wait for a provider's rate limit beyond the budget: the
// checkpoint and counts stay as the last committed page left them, the progress says what the run waits for,
// the lease is released, and the run is not continued before the wait ends. Nothing is swept.
func (r *Runner) pause(ctx context.Context, lease sspm.Lease, res Result, w *sspm.WaitError, log *slog.Logger) (Result, error) {
	until := w.Until
	if until.IsZero() {
		until = r.now()
	}
	res.Run.Progress.Message = fmt.Sprintf("waiting for the provider's %s rate limit until %s", w.Bucket, until.UTC().Format(time.RFC3339))
	res.Run.ResumeAt, res.Err = until, w
	log.Info("run paused for the provider's rate limit", "bucket", w.Bucket, "until", until, "stage", res.Run.Checkpoint.Stage)
	return r.stillWaiting(ctx, lease, res)
}

// stillWaiting leaves a run waiting for its rate limit until res.Run.ResumeAt, lease released: OutcomeWaiting,
// or OutcomeContinue when the wait is short enough for the caller to invoke again at once.
func (r *Runner) stillWaiting(ctx context.Context, lease sspm.Lease, res Result) (Result, error) {
	if err := r.Store.PauseRun(context.WithoutCancel(ctx), lease, res.Run.Progress, res.Run.ResumeAt); err != nil {
		if errors.Is(err, sspm.ErrLeaseLost) {
			res.Outcome, res.Err = OutcomeCanceled, sspm.ErrLeaseLost
			return res, nil
		}
		return res, err
	}
	res.ResumeAt, res.Outcome = res.Run.ResumeAt, OutcomeWaiting
	if !res.ResumeAt.After(r.now().Add(ImmediateResume)) {
		res.Outcome = OutcomeContinue
	}
	return res, nil
}

// steps reads every remaining page of every stage from the run's checkpoint, committing each page with the next
// checkpoint. It returns done=false when the deadline passes first.
func (r *Runner) steps(ctx context.Context, c sspm.Connector, lane sspm.Lane, src sspm.Source, lease sspm.Lease, run *sspm.SyncRun, deadline time.Time) (bool, error) {
	state := sspm.RunState{Checkpoint: run.Checkpoint, Counts: run.Counts, Progress: run.Progress, Unavailable: run.Unavailable}
	if state.Counts == nil {
		state.Counts = map[string]int64{}
	}
	for _, stage := range src.Stages(lane) {
		if slices.Contains(state.Checkpoint.Done, stage) {
			continue
		}
		cursor := ""
		if state.Checkpoint.Stage == stage {
			cursor = state.Checkpoint.Cursor
		} else {
			w, err := r.Store.Watermark(ctx, c.ID, lane, stage)
			if err != nil {
				return false, err
			}
			cursor = w
		}
		for {
			if !deadline.IsZero() && !r.now().Before(deadline) {
				state.Checkpoint.Stage, state.Checkpoint.Cursor = stage, cursor
				run.Checkpoint = state.Checkpoint
				return false, r.Store.SaveRunState(ctx, lease, state)
			}
			step, err := src.Step(ctx, lane, stage, cursor)
			if err != nil {
				return false, fmt.Errorf("stage %s: %w", stage, err)
			}
			for _, e := range step.Unavailable {
				state.Unavailable = addUnavailable(state.Unavailable, string(e))
			}
			state.Checkpoint.Stage, state.Checkpoint.Cursor = stage, step.Next
			state.Watermark = nil
			if step.Next == "" && step.Watermark != "" {
				state.Watermark = &sspm.Watermark{Lane: lane, Stage: stage, Value: step.Watermark}
			}
			if step.Next == "" {
				state.Checkpoint.Done = append(state.Checkpoint.Done, stage)
				state.Checkpoint.Stage, state.Checkpoint.Cursor = "", ""
			}
			state.Progress.Stage, state.Progress.Message = stage, step.Message
			state.Progress.Pages++
			state.Progress.Rows += int64(step.Page.Len())
			keyEvidence(c, step.Page.Evidence)
			written, err := r.Store.WritePage(ctx, c.ID, lease, &step.Page, state)
			if err != nil {
				return false, err
			}
			for k, n := range written {
				state.Counts[k] += n
			}
			run.Checkpoint, run.Counts, run.Progress, run.Unavailable = state.Checkpoint, state.Counts, state.Progress, state.Unavailable
			if step.Next == "" {
				break
			}
			cursor = step.Next
		}
	}
	return true, nil
}

// keyEvidence gives every piece of evidence its app's canonical key (rules.md §6.1), the one key the discovered
// app, its counts and its evidence list share.
func keyEvidence(c sspm.Connector, ev []sspm.Evidence) {
	for i := range ev {
		ev[i].AppKey = discovery.CanonicalKey(discovery.AppRef{Source: c.Kind, SourceName: c.ID, AppID: ev[i].AppID,
			AppName: ev[i].AppName, Domain: ev[i].Domain})
	}
}

func (r *Runner) succeed(ctx context.Context, c sspm.Connector, lane sspm.Lane, lease sspm.Lease, res Result, log *slog.Logger) (Result, error) {
	var sweep []sspm.Entity
	var keep []string
	var scoped map[sspm.Entity][]map[string]string
	if lane == sspm.LaneFull {
		for _, e := range sspm.Entities {
			if !slices.Contains(res.Run.Unavailable, string(e)) {
				sweep = append(sweep, e)
			}
		}
		for _, u := range res.Run.Unavailable {
			if name, ok := strings.CutPrefix(u, "dataset:"); ok {
				keep = append(keep, name)
				continue
			}
			e, cols, ok := sspm.ParseScope(u)
			switch {
			case !ok: // a scope the store cannot read: keep the whole entity rather than expire what was not read
				sweep = slices.DeleteFunc(sweep, func(x sspm.Entity) bool { return x == e })
			case cols != nil:
				if scoped == nil {
					scoped = map[sspm.Entity][]map[string]string{}
				}
				scoped[e] = append(scoped[e], cols)
			}
		}
	}
	expired, err := r.Store.FinishRun(ctx, c.ID, lane, lease, sspm.RunOutcome{
		Status: sspm.RunSucceeded, Sweep: sweep, KeepDatasets: keep, Keep: scoped, NextDueAt: r.now().Add(interval(c, lane)),
	})
	if err != nil {
		return res, err
	}
	res.Outcome, res.Expired = OutcomeSucceeded, expired
	res.Run.Status = sspm.RunSucceeded
	log.Info("run succeeded", "counts", res.Run.Counts, "expired", expired)
	if r.AfterSuccess != nil {
		if err := r.AfterSuccess(ctx, c, res.Run); err != nil {
			log.Error("after a successful run", "err", err)
		}
	}
	return res, nil
}

func (r *Runner) fail(ctx context.Context, c sspm.Connector, lane sspm.Lane, lease sspm.Lease, res Result, kind string, cause error, log *slog.Logger) (Result, error) {
	ctx = context.WithoutCancel(ctx)
	sched, err := r.Store.Schedule(ctx, c.ID, lane)
	if err != nil {
		return res, err
	}
	failures := sched.ConsecutiveFailures + 1
	_, err = r.Store.FinishRun(ctx, c.ID, lane, lease, sspm.RunOutcome{
		Status: sspm.RunFailed, ErrorKind: kind, ErrorText: cause.Error(),
		NextDueAt: r.now().Add(r.backoff().Delay(failures)), ConsecutiveFailures: failures,
	})
	if errors.Is(err, sspm.ErrLeaseLost) {
		res.Outcome, res.Err = OutcomeCanceled, sspm.ErrLeaseLost
		return res, nil
	}
	if err != nil {
		return res, err
	}
	log.Error("run failed", "kind", kind, "err", cause, "failures_in_a_row", failures)
	res.Outcome, res.Err = OutcomeFailed, cause
	res.Run.Status, res.Run.ErrorKind, res.Run.ErrorText = sspm.RunFailed, kind, cause.Error()
	return res, nil
}

// heartbeat extends the lease every third of its TTL until stopped; a lost lease cancels the run.
func (r *Runner) heartbeat(ctx context.Context, lease sspm.Lease, cancel context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ticks, stopTicks := r.tick(max(lease.TTL/3, 10*time.Millisecond))
		defer stopTicks()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-ticks:
				if err := r.Store.Heartbeat(ctx, lease); errors.Is(err, sspm.ErrLeaseLost) {
					cancel(sspm.ErrLeaseLost)
					return
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// classify names the kind of a run's error for the connector health view.
func classify(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case sspm.ErrorCode(err) == sspm.CodeRateLimited: // Run pauses on these instead of failing; named for completeness
		return "rate_limit"
	case sspm.ErrorCode(err) == sspm.CodeUnauthorized || sspm.ErrorCode(err) == sspm.CodeForbidden:
		return "auth"
	case sspm.ErrorCode(err) == sspm.CodeUnavailable:
		return "provider"
	case sspm.ErrorCode(err) == sspm.CodeInvalid:
		return "config"
	}
	return "error"
}

func interval(c sspm.Connector, lane sspm.Lane) time.Duration {
	if d := c.Intervals[lane]; d > 0 {
		return d
	}
	return lane.DefaultInterval()
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) tick(d time.Duration) (<-chan time.Time, func()) {
	if r.Tick != nil {
		return r.Tick(d)
	}
	t := time.NewTicker(d)
	return t.C, t.Stop
}

func (r *Runner) leaseTTL() time.Duration {
	if r.LeaseTTL > 0 {
		return r.LeaseTTL
	}
	return 2 * time.Minute
}

func (r *Runner) backoff() Backoff {
	if r.Backoff.Base > 0 {
		return r.Backoff
	}
	return DefaultBackoff
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// maxScopes bounds the scopes a run lists for one entity (one per team or repository the credential may not
// read): beyond it the whole entity is listed instead, which keeps all its rows and the run's record small.
const maxScopes = 100

// addUnavailable adds u to a run's Unavailable list: once, not when its whole entity is listed already, and as
// its whole entity when that entity already has maxScopes scopes (which it then replaces).
func addUnavailable(list []string, u string) []string {
	if slices.Contains(list, u) {
		return list
	}
	e, cols, ok := sspm.ParseScope(u)
	if !ok || cols == nil {
		if ok && !strings.HasPrefix(u, "dataset:") { // a whole entity subsumes its scopes
			list = slices.DeleteFunc(list, func(x string) bool { return strings.HasPrefix(x, string(e)+"[") })
		}
		return append(list, u)
	}
	if slices.Contains(list, string(e)) {
		return list
	}
	n := 0
	for _, x := range list {
		if strings.HasPrefix(x, string(e)+"[") {
			n++
		}
	}
	if n >= maxScopes {
		return addUnavailable(list, string(e))
	}
	return append(list, u)
}
