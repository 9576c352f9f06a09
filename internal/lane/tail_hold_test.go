package lane_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/local"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// heldStream is a testStream whose reads fail with err while it is set, recording the wait budget each read saw.
type heldStream struct {
	*testStream
	err     error
	budgets []time.Duration
}

func (s *heldStream) ReadStream(ctx context.Context, stream, cursor string) (sspm.StreamPage, error) {
	rem, _ := sspm.WaitBudget(ctx)
	s.budgets = append(s.budgets, rem)
	if s.err != nil {
		s.reads = append(s.reads, cursor)
		return sspm.StreamPage{}, s.err
	}
	return s.testStream.ReadStream(ctx, stream, cursor)
}

// TestTailRateLimitEndsTheStepAndKeepsTheCursor: a read whose rate-limit wait is beyond the tail's wait budget
// ends the step without an error and without moving the cursor or recording a failure; the stream is not read
// again before the reset, then continues from its cursor.
func TestTailRateLimitEndsTheStepAndKeepsTheCursor(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	clock := time.Now().Truncate(time.Second)
	src := &heldStream{testStream: &testStream{n: 5}}
	tailer := &lane.Tailer{Store: e.db, Now: func() time.Time { return clock },
		Streams: func(context.Context, sspm.Connector) (sspm.StreamSource, error) { return src, nil }}
	if _, err := tailer.Step(ctx, "test-1", "log"); err != nil {
		t.Fatal(err)
	}
	until := clock.Add(45 * time.Minute)
	src.err = &sspm.WaitError{Bucket: "core", Until: until, Throttled: true}
	res, err := tailer.Step(ctx, "test-1", "log")
	if err != nil || !res.NotBefore.Equal(until) || res.Stored != 0 || res.More || res.Unavailable != "" {
		t.Fatalf("rate-limited step = %+v, %v; want no error, held until %s", res, err, until)
	}
	if b := src.budgets[len(src.budgets)-1]; b <= 0 || b > lane.DefaultTailWaitBudget {
		t.Errorf("the read's wait budget was %s, want at most %s", b, lane.DefaultTailWaitBudget)
	}
	cur, _ := e.db.TailCursor(ctx, "test-1", "log")
	if cur.Cursor != "2" || cur.LastError != "" || !cur.NotBefore.Equal(until) || cur.Unavailable != "" {
		t.Fatalf("cursor after the rate limit = %+v", cur)
	}
	// Before the reset nothing is read, and the local loop reports no error.
	reads := len(src.reads)
	clock = clock.Add(10 * time.Minute)
	if _, err := local.TailLoop(ctx, tailer, "test-1", "log", 10, nil); err != nil || len(src.reads) != reads {
		t.Fatalf("loop before the reset: %v, %d reads", err, len(src.reads)-reads)
	}
	// After it the stream continues from the kept cursor.
	src.err, clock = nil, until.Add(time.Second)
	stored, err := local.TailLoop(ctx, tailer, "test-1", "log", 10, nil)
	if err != nil || src.reads[reads] != "2" || stored != 3 {
		t.Fatalf("after the reset: stored %d err %v reads %v", stored, err, src.reads[reads:])
	}
	if cur, _ := e.db.TailCursor(ctx, "test-1", "log"); cur.Cursor != "5" || !cur.NotBefore.IsZero() {
		t.Fatalf("cursor after the reset = %+v", cur)
	}
}

// TestTailUnavailableStreamIsAStateRetriedRarely: a stream the connector cannot read is recorded as unavailable
// with the reason (not as an error), is not read on the next ticks, and is tried again after UnavailableRetry.
func TestTailUnavailableStreamIsAStateRetriedRarely(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	clock := time.Now().Truncate(time.Second)
	src := &heldStream{testStream: &testStream{n: 3}, err: sspm.StreamUnavailable("the log needs the enterprise plan (404)")}
	tailer := &lane.Tailer{Store: e.db, Now: func() time.Time { return clock },
		Streams: func(context.Context, sspm.Connector) (sspm.StreamSource, error) { return src, nil }}
	res, err := tailer.Step(ctx, "test-1", "log")
	if err != nil || res.Unavailable != "the log needs the enterprise plan (404)" || !res.NotBefore.Equal(clock.Add(lane.DefaultUnavailableRetry)) {
		t.Fatalf("step = %+v, %v", res, err)
	}
	states, err := e.db.TailStates(ctx, "test-1")
	if err != nil || len(states) != 1 || states[0].Unavailable == "" || states[0].LastError != "" {
		t.Fatalf("tail states = %+v, %v; want the stream unavailable with its reason and no error", states, err)
	}
	for range 3 { // the next ticks
		clock = clock.Add(time.Minute)
		if _, err := local.TailLoop(ctx, tailer, "test-1", "log", 10, nil); err != nil {
			t.Fatalf("tick: %v", err)
		}
	}
	if len(src.reads) != 1 {
		t.Fatalf("an unavailable stream was read %d times in 3 ticks", len(src.reads)-1)
	}
	// A day later it is tried again; it has become readable.
	clock, src.err = clock.Add(lane.DefaultUnavailableRetry), nil
	if stored, err := local.TailLoop(ctx, tailer, "test-1", "log", 10, nil); err != nil || stored != 3 {
		t.Fatalf("retry after a day: stored %d, %v", stored, err)
	}
	if cur, _ := e.db.TailCursor(ctx, "test-1", "log"); cur.Unavailable != "" || !cur.NotBefore.IsZero() || cur.Cursor != "3" {
		t.Fatalf("cursor once readable = %+v", cur)
	}
}
