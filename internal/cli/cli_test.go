package cli_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/cli"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
)

func TestMain(m *testing.M) { postgrestest.Main(m) }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDevStartsFromNothing is `make run` on a fresh machine: no DATABASE_URL, no key, an empty data folder.
// dev starts the embedded PostgreSQL, generates the key, migrates, and answers /healthz.
func TestDevStartsFromNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	data := t.TempDir()
	t.Setenv("DATABASE_URL", "")
	t.Setenv("CONNECTOR_SECRET_KEY", "")
	t.Setenv("OPEN_SSPM_DATA", data)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- cli.Main(ctx, []string{"open-sspm", "dev", "--addr", addr}, &bytes.Buffer{}, &stderr) }()

	deadline := time.Now().Add(90 * time.Second)
	var body string
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				body = b.String()
				break
			}
		}
		select {
		case code := <-done:
			t.Fatalf("dev exited with %d before answering:\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no healthy /healthz:\n%s", stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("healthz = %s", body)
	}
	key, err := os.ReadFile(filepath.Join(data, "connector-secret.key"))
	if err != nil || len(strings.TrimSpace(string(key))) != 44 {
		t.Errorf("generated key file: %q %v", key, err)
	}
	cancel() // graceful shutdown stops the HTTP server and the embedded PostgreSQL
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("dev exited with %d:\n%s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("dev did not shut down")
	}
	if !strings.Contains(stderr.String(), "PostgreSQL stopped") {
		t.Errorf("embedded PostgreSQL was not stopped:\n%s", stderr.String())
	}
}

func TestBadInputGetsAClearErrorAndWritesNothing(t *testing.T) {
	url := postgrestest.URL(t)
	goodKey := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	tests := []struct {
		name    string
		args    []string
		key     string
		wantErr string
	}{
		{"bad secret key", []string{"connectors", "list"}, "c2hvcnQ=", "CONNECTOR_SECRET_KEY"},
		{"unknown connector kind", []string{"connectors", "add", "--id", "x1", "--kind", "salesforce", "--name", "X"}, goodKey, `unknown connector kind "salesforce"`},
		{"invalid connector id", []string{"connectors", "add", "--id", "Bad Id", "--kind", "okta", "--name", "X"}, goodKey, `connector id "Bad Id"`},
		{"invalid config", []string{"connectors", "add", "--id", "x1", "--kind", "okta", "--name", "X", "--config", "{"}, goodKey, "--config is not valid JSON"},
		{"unknown lane", []string{"worker", "--lane", "nightly"}, goodKey, `unknown lane "nightly"`},
		{"unknown command", []string{"frobnicate"}, goodKey, `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", url)
			t.Setenv("CONNECTOR_SECRET_KEY", tt.key)
			t.Setenv("OPEN_SSPM_DATA", t.TempDir())
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), append([]string{"open-sspm"}, tt.args...), &stdout, &stderr)
			if code == 0 || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant an error containing %q", code, stderr.String(), tt.wantErr)
			}
		})
	}
	// Nothing was written: the connector list is empty.
	t.Setenv("DATABASE_URL", url)
	t.Setenv("CONNECTOR_SECRET_KEY", goodKey)
	var stdout, stderr bytes.Buffer
	if code := cli.Main(context.Background(), []string{"open-sspm", "connectors", "list"}, &stdout, &stderr); code != 0 {
		t.Fatalf("list: %s", stderr.String())
	}
	if lines := strings.Count(strings.TrimSpace(stdout.String()), "\n"); lines != 0 {
		t.Fatalf("connectors were written:\n%s", stdout.String())
	}
}
