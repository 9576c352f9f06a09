// Package local holds the local stand-ins for the AWS parts (DESIGN §3): an in-process invoker (Lambda async
// invoke), a ticker scheduler (EventBridge schedules) and a tail loop driver (the Step Functions tail loop).
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Handler executes one invocation.
type Handler func(ctx context.Context, inv sspm.Invocation) error

// ErrInvokerFull is returned when the invoker's backlog is full (Lambda's throttle).
var ErrInvokerFull = errors.New("local invoker: backlog full")

// Invoker runs invocations on a bounded pool of goroutines, like Lambda async invokes: Invoke returns once the
// invocation is accepted. An invocation equal to one already waiting is accepted once.
type Invoker struct {
	handle  Handler
	log     *slog.Logger
	jobs    chan sspm.Invocation
	mu      sync.Mutex
	pending map[sspm.Invocation]bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewInvoker starts workers goroutines with room for backlog waiting invocations.
func NewInvoker(workers, backlog int, handle Handler, log *slog.Logger) *Invoker {
	if workers < 1 {
		workers = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	i := &Invoker{handle: handle, log: log, jobs: make(chan sspm.Invocation, backlog), pending: map[sspm.Invocation]bool{}, ctx: ctx, cancel: cancel}
	for range workers {
		i.wg.Add(1)
		go i.work()
	}
	return i
}

// Invoke accepts inv for asynchronous execution.
func (i *Invoker) Invoke(_ context.Context, inv sspm.Invocation) error {
	if i.ctx.Err() != nil {
		return errors.New("local invoker: stopped")
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.pending[inv] {
		return nil
	}
	select {
	case i.jobs <- inv:
		i.pending[inv] = true
		return nil
	default:
		return ErrInvokerFull
	}
}

func (i *Invoker) work() {
	defer i.wg.Done()
	for {
		select {
		case <-i.ctx.Done():
			return
		case inv := <-i.jobs:
			i.mu.Lock()
			delete(i.pending, inv)
			i.mu.Unlock()
			if err := i.run(inv); err != nil && i.ctx.Err() == nil {
				i.log.Error("invocation failed", "lane", inv.Lane, "connector", inv.ConnectorID, "stream", inv.Stream, "err", err)
			}
		}
	}
}

// Stop cancels running invocations (they pause and release their runs) and waits for the workers.
func (i *Invoker) Stop() {
	i.cancel()
	i.wg.Wait()
}

// run executes one invocation. A panic fails only that invocation, as a crashed Lambda invocation would: it is
// logged with its stack and the worker goes on.
func (i *Invoker) run(inv sspm.Invocation) (err error) {
	defer func() {
		if p := recover(); p != nil {
			i.log.Error("invocation panicked", "lane", inv.Lane, "connector", inv.ConnectorID, "stream", inv.Stream,
				"panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return i.handle(i.ctx, inv)
}
