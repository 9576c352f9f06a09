package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/rules"
)

func transition(change rules.FindingChange, sev string) rules.FindingTransition {
	return rules.FindingTransition{Change: change, ID: 7, Status: rules.FindingOpen, At: time.Unix(1700000000, 0),
		Finding: rules.Finding{DedupeKey: "posture:x/R1:global::", Kind: rules.FindingPosture, RulesetKey: "x", RuleKey: "R1",
			Severity: sev, Title: "Rule one", Subject: "global"}}
}

func TestWebhookSignsAndRetries(t *testing.T) {
	const secret = "s3cr3t"
	var calls atomic.Int32
	var mu sync.Mutex
	var got []alert.Alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !alert.Verify(secret, r.Header.Get(alert.HeaderTimestamp), r.Header.Get(alert.HeaderSignature), body) {
			t.Errorf("bad signature %q", r.Header.Get(alert.HeaderSignature))
		}
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var a alert.Alert
		if err := json.Unmarshal(body, &a); err != nil {
			t.Error(err)
		}
		if r.Header.Get(alert.HeaderDelivery) != a.ID || r.Header.Get(alert.HeaderEvent) != "finding.opened" {
			t.Errorf("headers %v", r.Header)
		}
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}))
	defer srv.Close()
	wh, err := alert.NewWebhook(srv.URL+"/hook?token=abc", secret)
	if err != nil {
		t.Fatal(err)
	}
	wh.Backoff = time.Millisecond
	if err := wh.Notify(context.Background(), alert.FromTransition(transition(rules.ChangeOpened, "high"))); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || len(got) != 1 || got[0].Severity != "high" || got[0].FindingID != 7 {
		t.Fatalf("calls %d, got %+v", calls.Load(), got)
	}
}

func TestWebhookPermanentFailureHidesURL(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	wh, _ := alert.NewWebhook(srv.URL+"/secret-path", "k")
	wh.Backoff = time.Millisecond
	err := wh.Notify(context.Background(), alert.FromTransition(transition(rules.ChangeOpened, "high")))
	if err == nil || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls, want one failed call", err, calls.Load())
	}
	wh.URL = "http://127.0.0.1:1/secret-path" // connection refused: retried, and the path never shows
	wh.Attempts = 2
	err = wh.Notify(context.Background(), alert.FromTransition(transition(rules.ChangeOpened, "high")))
	if err == nil || contains(err.Error(), "secret-path") {
		t.Fatalf("err = %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

type recorder struct {
	mu    sync.Mutex
	got   []alert.Alert
	block chan struct{}
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Notify(ctx context.Context, a alert.Alert) error {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, a)
	return nil
}

func TestDispatcherDedupesFiltersAndNeverBlocks(t *testing.T) {
	all, highOnly := &recorder{}, &recorder{}
	d := alert.NewDispatcher([]alert.Destination{{Notifier: all}, {Notifier: highOnly, MinSeverity: "high"}}, alert.DispatcherOptions{})
	d.NotifyTransitions([]rules.FindingTransition{transition(rules.ChangeOpened, "medium"), transition(rules.ChangeOpened, "medium")})
	d.NotifyTransitions([]rules.FindingTransition{transition(rules.ChangeEscalated, "critical")})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(all.got) != 2 || len(highOnly.got) != 1 || highOnly.got[0].Change != "escalated" {
		t.Fatalf("all %d, high-only %+v", len(all.got), highOnly.got)
	}

	stuck := &recorder{block: make(chan struct{})}
	d = alert.NewDispatcher([]alert.Destination{{Notifier: stuck}}, alert.DispatcherOptions{Queue: 1, Workers: 1})
	done := make(chan struct{})
	go func() {
		for i := range 10 {
			tr := transition(rules.ChangeOpened, "high")
			tr.ID = int64(i)
			d.NotifyTransitions([]rules.FindingTransition{tr})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Enqueue blocked on a stuck destination")
	}
	close(stuck.block)
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
