package google

import (
	"context"
	"errors"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// readAhead is the next page of a stage, read while the runner stores the current one: the quota paces requests,
// so a sync that stops reading while it writes falls behind the floor the quota sets.
type readAhead struct {
	lane          sspm.Lane
	stage, cursor string
	done          chan struct{}
	res           sspm.StepResult
	err           error
}

// readAheadStages are the stages whose next page is read ahead (their steps depend on the cursor alone).
var readAheadStages = map[string]bool{StageUsers: true, StageGroups: true, StageTokens: true}

// readAhead starts reading the page after res, when there is one.
func (s *Source) readAhead(ctx context.Context, lane sspm.Lane, stage string, res sspm.StepResult, err error) {
	if err != nil || res.Next == "" || lane != sspm.LaneFull || !readAheadStages[stage] || s.noReadAhead {
		return
	}
	p := &readAhead{lane: lane, stage: stage, cursor: res.Next, done: make(chan struct{})}
	s.pending = p
	go func() {
		defer close(p.done)
		p.res, p.err = s.step(ctx, lane, stage, p.cursor)
	}()
}

// stopped reports whether the read-ahead ended because its context did, while the caller's has not.
func (p *readAhead) stopped(ctx context.Context) bool {
	return p.err != nil && ctx.Err() == nil && (errors.Is(p.err, context.Canceled) || errors.Is(p.err, context.DeadlineExceeded))
}

// settle waits for the pending read-ahead, if any, and returns it.
func (s *Source) settle() *readAhead {
	p := s.pending
	if p == nil {
		return nil
	}
	s.pending = nil
	<-p.done
	return p
}
