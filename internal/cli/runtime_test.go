package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/cli"
	"github.com/open-sspm/open-sspm/internal/kinds"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
)

const testKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes

// syncBuffer is a bytes.Buffer safe for the runtime's goroutines and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openDB(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func count(t *testing.T, db *postgres.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// `open-sspm sync` runs the evaluation a successful full sync asks for, as the other runtimes' evaluator lane
// does: the connector's posture rules have results when the command returns.
func TestSyncFromTheCommandLineEvaluates(t *testing.T) {
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := oktasim.New(company, oktasim.Options{})
	t.Cleanup(sim.Close)
	url := postgrestest.URL(t)
	data := t.TempDir()
	t.Setenv("DATABASE_URL", url)
	t.Setenv("CONNECTOR_SECRET_KEY", testKey)
	t.Setenv("OPEN_SSPM_DATA", data)
	ko := kinds.Options{AllowLoopback: true, Outbound: outbound.Allowing(sim.URL())}
	secret := filepath.Join(data, "token")
	if err := os.WriteFile(secret, []byte(oktasim.DefaultToken), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := cli.Run(context.Background(), append([]string{"open-sspm"}, args...), &stdout, &stderr, ko); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr.String())
		}
		return stdout.String()
	}
	run("migrate")
	run("connectors", "add", "--id", "okta1", "--kind", "okta", "--name", "Okta",
		"--config", `{"org_url":"`+sim.URL()+`","auth":"api_token"}`, "--secret-file", secret)
	out := run("sync", "--connector", "okta1")
	if !strings.Contains(out, "succeeded") || !strings.Contains(out, "evaluated okta1") {
		t.Fatalf("sync printed:\n%s", out)
	}
	db := openDB(t, url)
	if n := count(t, db, `SELECT count(*) FROM rule_results WHERE scope_kind = 'connector_instance' AND source_name = 'okta1'`); n == 0 {
		t.Fatal("no rule results after the sync: the evaluator did not run")
	}
}

// Restarting `make run`: a second start on the same database re-points the demo's connectors at the new
// simulators before any lane runs (no failed run, no tail error), and the restarted simulators' events are new
// ones, not duplicates of the first start's, so events keep arriving.
func TestDemoRestartHasNoFailureAndEventsKeepFlowing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the local runtime twice")
	}
	url := postgrestest.URL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("CONNECTOR_SECRET_KEY", testKey)
	t.Setenv("OPEN_SSPM_DATA", t.TempDir())
	t.Setenv("LOG_LEVEL", "warn")
	db := openDB(t, url)

	// failures returns what went wrong so far: failed runs and tail errors.
	var seen []string
	failures := func() []string {
		rows, err := db.Pool().Query(context.Background(), `
			SELECT connector_id || ' ' || lane || ' run failed: ' || error_text FROM sync_runs WHERE status = 'failed'
			UNION ALL
			SELECT connector_id || ' ' || stream || ' tail error: ' || last_error FROM tail_cursors WHERE last_error <> ''`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	start := func(demoEvery string) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		logs := &syncBuffer{}
		done := make(chan int, 1)
		args := []string{"open-sspm", "dev", "--addr", "127.0.0.1:0", "--demo", "on", "--tick", "500ms", "--demo-every", demoEvery}
		go func() { done <- cli.Main(ctx, args, &bytes.Buffer{}, logs) }()
		return func() {
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("dev exited with %d:\n%s", code, logs.String())
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("dev did not stop:\n%s", logs.String())
			}
		}
	}
	// waitFor polls until cond holds, recording any failure seen meanwhile.
	waitFor := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			seen = append(seen, failures()...)
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %s (failures: %q)", what, within, seen)
			}
			time.Sleep(200 * time.Millisecond)
		}
		seen = append(seen, failures()...)
	}
	pushed := func() int { return count(t, db, `SELECT count(*) FROM events WHERE source = 'push'`) }

	// The first start changes the org quickly and delivers many events; the second slowly, so a restarted
	// simulator that repeated the first start's ids would need far longer than the wait to get past them.
	// registered counts the demo's push hooks (Okta, Google, Entra) the App stored as registered since t.
	registered := func(since time.Time) int {
		return count(t, db, `SELECT count(*) FROM push_hooks WHERE connector_id IN ('okta-demo', 'google-demo', 'entra-demo')
			AND registered_at > $1 AND last_error = ''`, since)
	}
	began := time.Now()
	stop := start("20ms")
	waitFor("first start: pushed events stored", 3*time.Minute, func() bool { return pushed() >= 100 })
	waitFor("first start: Google's channels push", time.Minute, func() bool {
		return count(t, db, `SELECT count(*) FROM events WHERE source = 'push' AND connector_id = 'google-demo'`) > 0
	})
	if n := registered(began); n != 3 {
		t.Errorf("first start: %d push hooks registered and stored, want 3 (okta, google, entra)", n)
	}
	stop()

	restarted := time.Now()
	stop = start("1s")
	// Within a minute, as the issue asks (30 s was missed once on a loaded CI machine).
	waitFor("second start: new events stored", time.Minute, func() bool {
		return count(t, db, `SELECT count(*) FROM events WHERE source = 'push' AND received_at > $1`, restarted) > 0
	})
	if n := registered(restarted); n != 3 {
		t.Errorf("second start: %d push hooks registered again, want 3", n)
	}
	// The restarted scheduler works against the connectors: every stream is tailed again.
	waitFor("second start: every stream tailed again", 30*time.Second, func() bool {
		return count(t, db, `SELECT count(*) FROM tail_cursors`) > 0 &&
			count(t, db, `SELECT count(*) FROM tail_cursors WHERE updated_at <= $1`, restarted) == 0
	})
	stop()
	if len(seen) > 0 {
		t.Fatalf("failures across the restart: %q", seen)
	}
}
