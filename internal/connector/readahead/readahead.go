// Package readahead reads a connector's next step in the background while the lane runner stores the current
// one.
//
// The runner stores a step's page and its cursor before it asks for the next step, and storing a page takes
// about as long as reading it (or, under a provider's quota, the quota paces the reads). So after a step of a
// stage worth reading ahead, the Reader reads the next step in the background while the runner writes. The runner
// then asks for exactly that cursor and gets the page at once. If it asks for anything else (its time budget
// ended, or the run is stopping) the read-ahead is waited for and dropped: the rows are read again. Only one
// read-ahead is in flight, and every entry point of the Source waits for it first (Settle), so the Source's state
// is never touched by two goroutines at once.
package readahead

import (
	"context"
	"errors"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// StepFunc reads one step of a stage from its cursor.
type StepFunc func(ctx context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error)

// Reader reads the full lane's steps of the stages it was given one step ahead. The zero value is not usable;
// use New.
type Reader struct {
	step    StepFunc
	stages  map[string]bool
	off     bool
	pending *read
}

// read is one step read ahead.
type read struct {
	lane          sspm.Lane
	stage, cursor string
	done          chan struct{}
	res           sspm.StepResult
	err           error
}

// New returns a Reader of step that reads ahead in the full lane's given stages; off turns reading ahead off
// (tests that inspect the provider between steps).
func New(step StepFunc, off bool, stages ...string) *Reader {
	r := &Reader{step: step, stages: map[string]bool{}, off: off}
	for _, s := range stages {
		r.stages[s] = true
	}
	return r
}

// Step returns the step at cursor: the read-ahead's result when it read exactly that step, else a fresh read.
// Then it starts reading the step after it, when the stage has one and is read ahead.
func (r *Reader) Step(ctx context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	if p := r.settle(); p != nil && p.lane == lane && p.stage == stage && p.cursor == cursor && !p.stopped(ctx) {
		r.start(ctx, lane, stage, p.res, p.err)
		return p.res, p.err
	}
	if ctx.Err() != nil {
		return sspm.StepResult{}, ctx.Err()
	}
	res, err := r.step(ctx, lane, stage, cursor)
	r.start(ctx, lane, stage, res, err)
	return res, err
}

// Settle waits for the read-ahead in flight, if any, and drops it; callers that touch the Source's state outside
// Step call it first.
func (r *Reader) Settle() { r.settle() }

// settle waits for the read-ahead in flight, if any, and returns it.
func (r *Reader) settle() *read {
	p := r.pending
	if p == nil {
		return nil
	}
	r.pending = nil
	<-p.done // the read-ahead runs on the run's context: when the run stops, it stops too
	return p
}

// start reads the step after res in the background, when there is one.
func (r *Reader) start(ctx context.Context, lane sspm.Lane, stage string, res sspm.StepResult, err error) {
	if err != nil || res.Next == "" || lane != sspm.LaneFull || !r.stages[stage] || r.off {
		return
	}
	p := &read{lane: lane, stage: stage, cursor: res.Next, done: make(chan struct{})}
	r.pending = p
	go func() {
		defer close(p.done)
		p.res, p.err = r.step(ctx, lane, stage, p.cursor)
	}()
}

// stopped reports whether the read-ahead failed only because the context it ran on ended while ctx goes on:
// then the step is read again.
func (p *read) stopped(ctx context.Context) bool {
	return p.err != nil && ctx.Err() == nil && (errors.Is(p.err, context.Canceled) || errors.Is(p.err, context.DeadlineExceeded))
}
