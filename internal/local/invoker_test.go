package local_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/local"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestInvokerIsBoundedAndAcceptsAWaitingInvocationOnce(t *testing.T) {
	t.Parallel()
	var running, peak, calls atomic.Int64
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	var wg, meet sync.WaitGroup
	inv := local.NewInvoker(2, 10, func(ctx context.Context, i sspm.Invocation) error {
		defer wg.Done()
		if i.Stream == "last" { // see below
			meet.Done()
			meet.Wait()
			return nil
		}
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		calls.Add(1)
		started <- struct{}{}
		<-release
		running.Add(-1)
		return nil
	}, nil)
	defer inv.Stop()
	ctx := context.Background()
	wg.Add(5)
	for i := range 5 {
		if err := inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	<-started // two run, three wait
	<-started
	// An invocation equal to a waiting one is accepted once.
	if err := inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "e"}); err != nil {
		t.Fatal(err)
	}
	close(release)
	wg.Wait()
	// Two last invocations that wait for each other hold both workers at once: every invocation accepted before
	// them has then been taken and has finished, a duplicate included.
	meet.Add(2)
	wg.Add(2)
	for _, id := range []string{"y", "z"} {
		if err := inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneTail, ConnectorID: id, Stream: "last"}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if peak.Load() != 2 || calls.Load() != 5 {
		t.Fatalf("peak concurrency %d, calls %d; want 2 and 5", peak.Load(), calls.Load())
	}
}

func TestInvokerRefusesWhenTheBacklogIsFull(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	started := make(chan struct{}, 3)
	inv := local.NewInvoker(1, 1, func(ctx context.Context, i sspm.Invocation) error {
		started <- struct{}{}
		select {
		case <-block:
		case <-ctx.Done():
		}
		return nil
	}, nil)
	defer inv.Stop()
	defer close(block)
	ctx := context.Background()
	_ = inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "a"})
	<-started // a runs
	_ = inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "b"})
	if err := inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "c"}); err != local.ErrInvokerFull {
		t.Fatalf("third invocation: %v, want ErrInvokerFull", err)
	}
}

// A panic inside one invocation fails that invocation only: it is logged with its stack, and the same worker
// runs the next invocation (with one worker, a dead worker would run nothing more).
func TestInvokerSurvivesAPanickingInvocation(t *testing.T) {
	var logs lockedBuffer
	done := make(chan string, 2)
	inv := local.NewInvoker(1, 10, func(ctx context.Context, i sspm.Invocation) error {
		if i.ConnectorID == "bad" {
			var items []int
			_ = items[len(i.ConnectorID)] // an index out of range: a runtime panic
		}
		done <- i.ConnectorID
		return nil
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	defer inv.Stop()
	ctx := context.Background()
	for _, id := range []string{"bad", "good"} {
		if err := inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if id := <-done; id != "good" { // with one worker, a worker killed by the panic would never get here
		t.Fatalf("ran %s", id)
	}
	if got := logs.String(); !strings.Contains(got, "invocation panicked") || !strings.Contains(got, "connector=bad") || !strings.Contains(got, "index out of range") {
		t.Errorf("log = %s", got)
	}
}

// A panicking scheduled task ends neither the schedule nor the process.
func TestEveryGoesOnAfterAPanic(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int64
	third := make(chan struct{})
	var logs lockedBuffer
	go local.Every(ctx, time.Millisecond, "panics", slog.New(slog.NewTextHandler(&logs, nil)), func(context.Context) error {
		switch calls.Add(1) {
		case 1, 2:
			panic("tick")
		case 3:
			close(third)
		}
		return nil
	})
	<-third
	cancel()
	if !strings.Contains(logs.String(), "panic: tick") {
		t.Errorf("log = %s", logs.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
