package lane_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/local"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// testStream is an event log of n events served two at a time, with an overlap: each read returns the last
// event of the previous read again, as a tail with an overlap window does.
type testStream struct {
	n     int
	fail  bool
	reads []string
}

func (s *testStream) Streams() []string { return []string{"log"} }

func (s *testStream) ReadStream(_ context.Context, stream, cursor string) (sspm.StreamPage, error) {
	s.reads = append(s.reads, cursor)
	if s.fail {
		return sspm.StreamPage{}, errors.New("429 rate limited")
	}
	start := 0
	if cursor != "" {
		fmt.Sscan(cursor, &start)
		start-- // overlap
	}
	end := min(start+2, s.n)
	if cursor != "" {
		end = min(start+3, s.n)
	}
	base := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var p sspm.StreamPage
	for i := start; i < end; i++ {
		p.Events = append(p.Events, sspm.Event{ProviderEventID: fmt.Sprint("ev-", i), Type: "t", OccurredAt: base.Add(time.Duration(i) * time.Minute)})
	}
	p.Cursor = fmt.Sprint(end)
	if end > 0 {
		p.HighWater = base.Add(time.Duration(end-1) * time.Minute)
	}
	p.More = end < s.n
	return p, nil
}

func TestTailLoopStoresEachEventOnceAndCommitsTheCursor(t *testing.T) {
	t.Parallel()
	e := setup(t)
	src := &testStream{n: 7}
	var followed []string
	tailer := &lane.Tailer{Store: e.db, Streams: func(context.Context, sspm.Connector) (sspm.StreamSource, error) { return src, nil },
		AfterStore: func(_ context.Context, _ sspm.Connector, events []sspm.Event) error {
			for _, ev := range events {
				followed = append(followed, ev.ProviderEventID)
			}
			return nil
		}}
	stored, err := local.TailLoop(context.Background(), tailer, "test-1", "log", 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(followed) != 7 {
		t.Fatalf("AfterStore saw %v: want each new event once, not the re-read overlap", followed)
	}
	if n, _ := e.db.CountEvents(context.Background(), "test-1"); stored != 7 || n != 7 {
		t.Fatalf("stored %d, in the table %d: want each of the 7 events once despite the overlap", stored, n)
	}
	cur, _ := e.db.TailCursor(context.Background(), "test-1", "log")
	if cur.Cursor != "7" || cur.HighWater.Minute() != 6 {
		t.Fatalf("cursor = %+v", cur)
	}
	// The next execution continues from the stored cursor and finds nothing new.
	src.reads = nil
	res, err := tailer.Step(context.Background(), "test-1", "log")
	if err != nil || src.reads[0] != "7" || res.Stored != 0 || res.More {
		t.Fatalf("step after the end: %+v %v reads %v", res, err, src.reads)
	}
}

func TestTailErrorIsRecordedAndTheCursorStays(t *testing.T) {
	t.Parallel()
	e := setup(t)
	src := &testStream{n: 3}
	tailer := &lane.Tailer{Store: e.db, Streams: func(context.Context, sspm.Connector) (sspm.StreamSource, error) { return src, nil }}
	if _, err := tailer.Step(context.Background(), "test-1", "log"); err != nil {
		t.Fatal(err)
	}
	src.fail = true
	if _, err := tailer.Step(context.Background(), "test-1", "log"); err == nil {
		t.Fatal("a failed read was not an error")
	}
	cur, _ := e.db.TailCursor(context.Background(), "test-1", "log")
	if cur.Cursor != "2" || cur.LastError != "429 rate limited" {
		t.Fatalf("cursor after a failure = %+v", cur)
	}
}
