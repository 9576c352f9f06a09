package okta

import (
	"context"
	"errors"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The runner stores a step's page and its cursor before it asks for the next step, and storing a page of
// group members takes about as long as reading it. So after a step of the users, groups or apps stage the
// Source reads the next step ahead, in the background, while the runner writes. The runner then asks for exactly
// that cursor and gets the page at once. If it asks for anything else (its time budget ended, or the run is
// stopping) the read-ahead is waited for and dropped: what it learned in memory is still true, and the rows are
// read again. Only one read-ahead is in flight, and every entry point waits for it first, so the Source's state
// is never touched by two goroutines at once.

type readAhead struct {
	lane          sspm.Lane
	stage, cursor string
	done          chan struct{}
	res           sspm.StepResult
	err           error
}

// readAheadStages are the stages worth reading ahead: many pages, each cheap to read again if dropped.
var readAheadStages = map[string]bool{StageUsers: true, StageGroups: true, StageApps: true}

// readAhead starts reading the step after res, when there is one.
func (s *Source) readAhead(ctx context.Context, lane sspm.Lane, stage string, res sspm.StepResult, err error) {
	if err != nil || res.Next == "" || lane != sspm.LaneFull || !readAheadStages[stage] || s.opts.NoReadAhead {
		return
	}
	p := &readAhead{lane: lane, stage: stage, cursor: res.Next, done: make(chan struct{})}
	s.pending = p
	go func() {
		defer close(p.done)
		p.res, p.err = s.step(ctx, lane, stage, p.cursor)
	}()
}

// stopped reports whether the read-ahead failed only because the context it ran on ended while ctx goes on:
// then the step is read again.
func (p *readAhead) stopped(ctx context.Context) bool {
	return p.err != nil && ctx.Err() == nil && (errors.Is(p.err, context.Canceled) || errors.Is(p.err, context.DeadlineExceeded))
}

// settle waits for the read-ahead in flight, if any, and returns it.
func (s *Source) settle() *readAhead {
	p := s.pending
	if p == nil {
		return nil
	}
	s.pending = nil
	<-p.done // the read-ahead runs on the run's context: when the run stops, it stops too
	return p
}
