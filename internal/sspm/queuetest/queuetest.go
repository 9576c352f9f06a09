// Package queuetest is the conformance suite every sspm.Queue passes: the local PostgreSQL queue and the SQS
// adapter (against the in-process SQS fake) alike.
package queuetest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// Config describes the queue under test. New returns an empty queue whose messages go to the dead state (the
// DLQ) after MaxAttempts receives, and whose visibility timeouts run on now (a fake clock the suite advances).
// Dead counts the dead messages. New and Dead may be called from parallel subtests.
type Config struct {
	New         func(t *testing.T, now func() time.Time) sspm.Queue
	MaxAttempts int
	Dead        func(t *testing.T, q sspm.Queue) int
}

// Run runs the suite; its subtests run in parallel, each on its own queue.
func Run(t *testing.T, cfg Config) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, Config, *clocktest.Clock)
	}{
		{"send receive ack", sendReceiveAck},
		{"visibility timeout redelivers", redeliver},
		{"nack then dead after max attempts", deadLetter},
		{"receive respects max", receiveMax},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, cfg, clocktest.New(time.Now()))
		})
	}
}

func bodies(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`{"n":%d}`, i))
	}
	return out
}

func receiveAll(t *testing.T, q sspm.Queue, visibility time.Duration) []sspm.Message {
	t.Helper()
	var out []sspm.Message
	for range 20 {
		msgs, err := q.Receive(context.Background(), 10, visibility)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		out = append(out, msgs...)
	}
	return out
}

func sendReceiveAck(t *testing.T, cfg Config, clock *clocktest.Clock) {
	q, ctx := cfg.New(t, clock.Now), context.Background()
	if err := q.Send(ctx, bodies(3)...); err != nil {
		t.Fatal(err)
	}
	msgs := receiveAll(t, q, time.Minute)
	if len(msgs) != 3 {
		t.Fatalf("received %d, want 3", len(msgs))
	}
	got := make([]string, len(msgs))
	receipts := make([]string, len(msgs))
	for i, m := range msgs {
		got[i], receipts[i] = string(m.Body), m.Receipt
		if m.Attempts != 1 || m.Receipt == "" {
			t.Fatalf("message %+v: want attempt 1 with a receipt", m)
		}
	}
	sort.Strings(got)
	if got[0] != `{"n":0}` || got[2] != `{"n":2}` {
		t.Fatalf("bodies = %v", got)
	}
	if err := q.Ack(ctx, receipts...); err != nil {
		t.Fatal(err)
	}
	if again := receiveAll(t, q, 0); len(again) != 0 {
		t.Fatalf("acknowledged messages came back: %d", len(again))
	}
}

func redeliver(t *testing.T, cfg Config, clock *clocktest.Clock) {
	q, ctx := cfg.New(t, clock.Now), context.Background()
	if err := q.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	first := receiveAll(t, q, time.Second)
	if len(first) != 1 {
		t.Fatalf("received %d, want 1", len(first))
	}
	if hidden := receiveAll(t, q, time.Second); len(hidden) != 0 {
		t.Fatal("a message in flight was delivered twice")
	}
	clock.Advance(900 * time.Millisecond)
	if hidden := receiveAll(t, q, time.Second); len(hidden) != 0 {
		t.Fatal("a message was delivered again before its visibility timed out")
	}
	clock.Advance(200 * time.Millisecond)
	second := receiveAll(t, q, time.Minute)
	if len(second) != 1 || second[0].Attempts != 2 {
		t.Fatalf("after the visibility timeout: %+v, want the message on its second attempt", second)
	}
}

func deadLetter(t *testing.T, cfg Config, clock *clocktest.Clock) {
	q, ctx := cfg.New(t, clock.Now), context.Background()
	if err := q.Send(ctx, []byte("poison")); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= cfg.MaxAttempts; attempt++ {
		msgs := receiveAll(t, q, time.Minute)
		if len(msgs) != 1 || msgs[0].Attempts != attempt {
			t.Fatalf("attempt %d: %+v", attempt, msgs)
		}
		if err := q.Nack(ctx, msgs[0].Receipt, 0, "cannot parse"); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := receiveAll(t, q, time.Minute); len(msgs) != 0 {
		t.Fatalf("a message past its attempts was delivered again: %+v", msgs)
	}
	if n := cfg.Dead(t, q); n != 1 {
		t.Fatalf("dead = %d, want 1", n)
	}
}

func receiveMax(t *testing.T, cfg Config, clock *clocktest.Clock) {
	q, ctx := cfg.New(t, clock.Now), context.Background()
	if err := q.Send(ctx, bodies(15)...); err != nil {
		t.Fatal(err)
	}
	msgs, err := q.Receive(ctx, 4, time.Minute)
	if err != nil || len(msgs) == 0 || len(msgs) > 4 {
		t.Fatalf("receive(4) = %d messages, %v", len(msgs), err)
	}
}
