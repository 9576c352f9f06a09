package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
	"github.com/open-sspm/open-sspm/internal/sspm/queuetest"
)

func TestQueueDeliversAtLeastOnceAndDeadLetters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := clocktest.New(time.Now())
	db := postgrestest.New(t, postgres.WithClock(clock.Now))
	q := db.Queue("inbox", 2)
	if err := q.Send(ctx, []byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	msgs, err := q.Receive(ctx, 10, 30*time.Second)
	if err != nil || len(msgs) != 2 || msgs[0].Attempts != 1 {
		t.Fatalf("receive = %+v, %v", msgs, err)
	}
	if again, _ := q.Receive(ctx, 10, time.Minute); len(again) != 0 {
		t.Fatalf("invisible messages delivered again: %+v", again)
	}
	if err := q.Ack(ctx, msgs[0].Receipt); err != nil {
		t.Fatal(err)
	}
	clock.Advance(29 * time.Second)
	if again, _ := q.Receive(ctx, 10, time.Minute); len(again) != 0 {
		t.Fatalf("messages delivered again before their visibility timed out: %+v", again)
	}
	clock.Advance(time.Second) // "b" was not acknowledged: its visibility times out
	msgs, err = q.Receive(ctx, 10, time.Minute)
	if err != nil || len(msgs) != 1 || string(msgs[0].Body) != "b" || msgs[0].Attempts != 2 {
		t.Fatalf("redelivery = %+v, %v", msgs, err)
	}
	if err := q.Nack(ctx, msgs[0].Receipt, 0, "parse error"); err != nil {
		t.Fatal(err)
	}
	ready, dead, err := q.Depth(ctx)
	if err != nil || ready != 0 || dead != 1 {
		t.Fatalf("depth = %d ready, %d dead (%v); want b dead after its second attempt", ready, dead, err)
	}
	deadMsgs, _ := q.Dead(ctx, 10)
	if len(deadMsgs) != 1 || deadMsgs[0].LastError != "parse error" {
		t.Fatalf("dead = %+v", deadMsgs)
	}
	if err := q.Replay(ctx, deadMsgs[0].ID); err != nil {
		t.Fatal(err)
	}
	msgs, _ = q.Receive(ctx, 10, time.Minute)
	if len(msgs) != 1 || msgs[0].Attempts != 1 {
		t.Fatalf("replayed = %+v", msgs)
	}
	// A stale receipt (the message was redelivered since) cannot delete it.
	if err := q.Ack(ctx, "not-a-receipt"); err != nil {
		t.Fatal(err)
	}
	if ready, _, _ := q.Depth(ctx); ready != 1 {
		t.Fatalf("ready = %d after a bogus ack", ready)
	}
}

func TestQueueReceiversTakeDisjointMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	q := db.Queue("inbox", 5)
	bodies := make([][]byte, 200)
	for i := range bodies {
		bodies[i] = []byte(fmt.Sprint(i))
	}
	if err := q.Send(ctx, bodies...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				msgs, err := q.Receive(ctx, 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(msgs) == 0 {
					return
				}
				mu.Lock()
				for _, m := range msgs {
					seen[string(m.Body)]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Fatalf("received %d distinct messages, want 200", len(seen))
	}
	for b, n := range seen {
		if n != 1 {
			t.Fatalf("message %s received %d times by concurrent receivers", b, n)
		}
	}
}

func TestQueueConformance(t *testing.T) {
	t.Parallel()
	queuetest.Run(t, queuetest.Config{
		New: func(t *testing.T, now func() time.Time) sspm.Queue {
			return postgrestest.New(t, postgres.WithClock(now)).Queue("inbox", 3)
		},
		MaxAttempts: 3,
		Dead: func(t *testing.T, q sspm.Queue) int {
			_, dead, err := q.(*postgres.Queue).Depth(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return int(dead)
		},
	})
}
