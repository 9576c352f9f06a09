// Package postgrestest gives each test its own migrated PostgreSQL database, cloned from a template database
// that is migrated once per migrations hash. The server is TEST_DATABASE_URL, else DATABASE_URL, else an embedded
// server started for the test binary by Main.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/pgembed"
	"github.com/open-sspm/open-sspm/internal/postgres"
)

// serverURL is set once by Main before any test runs; tests only read it.
var serverURL string

// Main runs a package's tests. Use it from TestMain: func TestMain(m *testing.M) { postgrestest.Main(m) }.
// Without TEST_DATABASE_URL or DATABASE_URL it starts an embedded PostgreSQL for this test binary.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	serverURL = os.Getenv("TEST_DATABASE_URL")
	if serverURL == "" {
		serverURL = os.Getenv("DATABASE_URL")
	}
	if serverURL == "" {
		dir, err := os.MkdirTemp("", "open-sspm-testpg-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "postgrestest:", err)
			return 1
		}
		ctx := context.Background()
		srv, err := pgembed.Start(ctx, pgembed.Config{DataDir: dir, Ephemeral: true})
		if err != nil {
			os.RemoveAll(dir)
			fmt.Fprintln(os.Stderr, "postgrestest: start embedded postgres (set TEST_DATABASE_URL to use a server):", err)
			return 1
		}
		defer srv.Destroy(ctx) //nolint:errcheck
		serverURL = srv.URL()
	}
	return m.Run()
}

// URL returns a URL of a fresh, migrated database, dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	if serverURL == "" {
		t.Fatal("postgrestest: no server; call postgrestest.Main from TestMain")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("postgrestest: connect %s: %v", redact(serverURL), err)
	}
	defer admin.Close(ctx)
	tmpl, err := ensureTemplate(ctx, admin)
	if err != nil {
		t.Fatalf("postgrestest: template: %v", err)
	}
	name := "t_" + randomHex(8)
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl))
		if err == nil || attempt == 20 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("postgrestest: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), serverURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return withDatabase(serverURL, name)
}

// New returns a store on a fresh, migrated database, closed and dropped when the test ends. opts configure the
// store (postgres.WithClock for a fake clock).
func New(t testing.TB, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), URL(t), opts...)
	if err != nil {
		t.Fatalf("postgrestest: open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// ensureTemplate creates the template database for the current migrations once, under an advisory lock so
// that test binaries running in parallel build it once.
func ensureTemplate(ctx context.Context, admin *pgx.Conn) (string, error) {
	name := "tmpl_" + postgres.MigrationsHash()
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return "", err
	}
	defer admin.Exec(ctx, `SELECT pg_advisory_unlock(727274)`) //nolint:errcheck
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_b"
	if _, err := admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, withDatabase(serverURL, building))
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	return name, nil
}

// withDatabase replaces the database of a postgres:// URL.
func withDatabase(url, db string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return url
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", userInfo(cfg), cfg.Host, cfg.Port, db)
}

func userInfo(cfg *pgx.ConnConfig) string {
	if cfg.Password != "" {
		return cfg.User + ":" + cfg.Password
	}
	return cfg.User
}

func redact(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "(unparsable url)"
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
