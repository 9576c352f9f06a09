package local_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/local"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestInvokerIsBoundedAndAcceptsAWaitingInvocationOnce(t *testing.T) {
	var running, peak, calls atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	inv := local.NewInvoker(2, 10, func(ctx context.Context, i sspm.Invocation) error {
		defer wg.Done()
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		calls.Add(1)
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
	time.Sleep(50 * time.Millisecond) // let two start; three wait
	// An invocation equal to a waiting one is accepted once.
	if err := inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "e"}); err != nil {
		t.Fatal(err)
	}
	close(release)
	wg.Wait()
	time.Sleep(20 * time.Millisecond)
	if peak.Load() != 2 || calls.Load() != 5 {
		t.Fatalf("peak concurrency %d, calls %d; want 2 and 5", peak.Load(), calls.Load())
	}
}

func TestInvokerRefusesWhenTheBacklogIsFull(t *testing.T) {
	block := make(chan struct{})
	inv := local.NewInvoker(1, 1, func(ctx context.Context, i sspm.Invocation) error {
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
	time.Sleep(20 * time.Millisecond) // a runs
	_ = inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "b"})
	if err := inv.Invoke(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "c"}); err != local.ErrInvokerFull {
		t.Fatalf("third invocation: %v, want ErrInvokerFull", err)
	}
}
