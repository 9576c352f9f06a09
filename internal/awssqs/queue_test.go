package awssqs_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awssqs"
	"github.com/open-sspm/open-sspm/internal/awssqs/sqsfake"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/queuetest"
)

// setup starts a fake SQS with a queue "inbox" whose DLQ takes messages after maxReceiveCount receives.
func setup(t *testing.T, maxReceiveCount int) (*sqsfake.Server, *awssqs.Queue, string) {
	t.Helper()
	srv := sqsfake.NewServer()
	t.Cleanup(srv.Close)
	url, dlq, err := srv.CreateQueueWithDLQ("inbox", maxReceiveCount)
	if err != nil {
		t.Fatal(err)
	}
	return srv, awssqs.New(srv.Client(), url), dlq
}

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	dlqs := map[sspm.Queue]func() int{}
	queuetest.Run(t, queuetest.Config{
		New: func(t *testing.T, now func() time.Time) sspm.Queue {
			srv, q, dlq := setup(t, 3)
			srv.SetClock(now)
			mu.Lock()
			defer mu.Unlock()
			dlqs[q] = func() int {
				visible, inFlight, err := srv.Depth(dlq)
				if err != nil {
					t.Fatal(err)
				}
				return visible + inFlight
			}
			return q
		},
		MaxAttempts: 3,
		Dead: func(t *testing.T, q sspm.Queue) int {
			mu.Lock()
			dead := dlqs[q]
			mu.Unlock()
			return dead()
		},
	})
}

func bodies(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	return out
}

func TestSendInBatches(t *testing.T) {
	tests := []struct {
		name string
		give [][]byte
	}{
		{"one", bodies(1)},
		{"exactly ten", bodies(10)},
		{"more than ten", bodies(23)},
		{"over 256 KiB in all", [][]byte{[]byte(strings.Repeat("a", 200<<10)), []byte(strings.Repeat("b", 200<<10)), []byte("c")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, q, _ := setup(t, 3)
			if err := q.Send(t.Context(), tt.give...); err != nil {
				t.Fatal(err)
			}
			got, err := srv.Bodies(q.URL())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.give) {
				t.Fatalf("queued %d, want %d", len(got), len(tt.give))
			}
			for i := range got {
				if got[i] != string(tt.give[i]) {
					t.Fatalf("message %d = %.20q, want %.20q", i, got[i], tt.give[i])
				}
			}
		})
	}
}

func TestSendPartialFailures(t *testing.T) {
	tests := []struct {
		name       string
		faults     []sqsfake.EntryFault
		give       [][]byte
		wantQueued int
		wantErr    string
	}{
		{name: "server-side failures are sent again",
			faults: []sqsfake.EntryFault{{Code: "InternalError"}, {Code: "InternalError"}},
			give:   bodies(5), wantQueued: 5},
		{name: "a failure that persists is reported",
			faults: []sqsfake.EntryFault{{Code: "InternalError"}, {Code: "InternalError"}, {Code: "InternalError"}},
			give:   bodies(1), wantQueued: 0, wantErr: "message 0: InternalError"},
		{name: "a sender fault is not sent again",
			faults: []sqsfake.EntryFault{{Code: "InvalidParameterValue", SenderFault: true}},
			give:   bodies(3), wantQueued: 2, wantErr: "1 not queued: message 0: InvalidParameterValue"},
		{name: "a body SQS refuses fails alone",
			give: [][]byte{[]byte("ok"), []byte("bad \x00 byte"), []byte("ok too")}, wantQueued: 2, wantErr: "message 1: InvalidMessageContents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, q, _ := setup(t, 3)
			srv.FailNextEntries("SendMessageBatch", tt.faults...)
			err := q.Send(t.Context(), tt.give...)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			got, _ := srv.Bodies(q.URL())
			if len(got) != tt.wantQueued {
				t.Fatalf("queued %d, want %d", len(got), tt.wantQueued)
			}
		})
	}
}

func TestSendCallFailure(t *testing.T) {
	srv, q, _ := setup(t, 3)
	srv.FailNext("SendMessageBatch", http.StatusBadRequest, "RequestThrottled", "slow down")
	err := q.Send(t.Context(), []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "sqs send 1 messages") || !strings.Contains(err.Error(), "RequestThrottled") {
		t.Fatalf("err = %v", err)
	}
}

func TestAckInBatchesAndStaleReceipts(t *testing.T) {
	srv, q, _ := setup(t, 5)
	ctx := t.Context()
	if err := q.Send(ctx, bodies(25)...); err != nil {
		t.Fatal(err)
	}
	var receipts []string
	for range 3 {
		msgs, err := q.Receive(ctx, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			receipts = append(receipts, m.Receipt)
		}
	}
	if len(receipts) != 25 {
		t.Fatalf("received %d, want 25", len(receipts))
	}
	// A receipt SQS does not know is not an error: the message it named is gone.
	if err := q.Ack(ctx, append(receipts, "not-a-receipt")...); err != nil {
		t.Fatal(err)
	}
	if visible, inFlight, _ := srv.Depth(q.URL()); visible+inFlight != 0 {
		t.Fatalf("left %d visible, %d in flight", visible, inFlight)
	}
	if err := q.Ack(ctx); err != nil {
		t.Fatalf("ack of nothing: %v", err)
	}
	srv.FailNextEntries("DeleteMessageBatch", sqsfake.EntryFault{Code: "InternalError"})
	if err := q.Ack(ctx, "whatever"); err == nil || !strings.Contains(err.Error(), "InternalError") {
		t.Fatalf("ack with a failed entry: %v", err)
	}
}

func TestNackRetryAfter(t *testing.T) {
	srv, q, _ := setup(t, 5)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	srv.SetClock(func() time.Time { return now })
	ctx := context.Background()
	if err := q.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	msgs, _ := q.Receive(ctx, 1, time.Hour)
	if len(msgs) != 1 {
		t.Fatal("nothing received")
	}
	if err := q.Nack(ctx, msgs[0].Receipt, 1500*time.Millisecond, "busy"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if got, _ := q.Receive(ctx, 1, time.Hour); len(got) != 0 {
		t.Fatal("visible before retryAfter (rounded up to 2 s)")
	}
	now = now.Add(time.Second)
	got, _ := q.Receive(ctx, 1, time.Hour)
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after retryAfter: %+v", got)
	}
	// The first receive's handle is stale now.
	if err := q.Nack(ctx, msgs[0].Receipt, 0, "stale"); err == nil || !strings.Contains(err.Error(), "MessageNotInflight") {
		t.Fatalf("nack with a stale receipt: %v", err)
	}
}
