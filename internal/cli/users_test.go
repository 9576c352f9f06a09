package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/cli"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
)

// TestAdminPasswordsGoToAnOwnerOnlyFile: a generated admin password is never printed (terminals and service logs
// keep what is); it is written to a file only its owner can read, whose place is printed. reset-password gives a
// local user a new one the same way, and the old one stops working.
func TestAdminPasswordsGoToAnOwnerOnlyFile(t *testing.T) {
	url := postgrestest.URL(t)
	data := t.TempDir()
	t.Setenv("DATABASE_URL", url)
	t.Setenv("CONNECTOR_SECRET_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	t.Setenv("OPEN_SSPM_DATA", data)
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := cli.Main(ctx, append([]string{"open-sspm"}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr.String())
		}
		return stdout.String()
	}
	path := filepath.Join(data, "admin-password")
	readPassword := func(out string) string {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("password file: %v %v, want mode 0600", st, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "root@example.com" || len(lines[1]) < auth.MinPasswordLength {
			t.Fatalf("password file holds %d lines", len(lines))
		}
		if strings.Contains(out, lines[1]) || !strings.Contains(out, path) {
			t.Fatalf("the output prints the password, or not where it is:\n%s", out)
		}
		return lines[1]
	}
	matches := func(password string) bool {
		u, err := db.UserByEmail(ctx, "root@example.com")
		if err != nil {
			t.Fatal(err)
		}
		ok, err := auth.CheckPassword(u.PasswordHash, password)
		return err == nil && ok
	}

	first := readPassword(run("users", "bootstrap-admin", "--email", "root@example.com"))
	if !matches(first) {
		t.Fatal("the written password does not sign in")
	}
	second := readPassword(run("users", "reset-password", "--email", "Root@Example.com"))
	if second == first || !matches(second) || matches(first) {
		t.Fatal("reset-password did not replace the password")
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Main(ctx, []string{"open-sspm", "users", "reset-password", "--email", "nobody@example.com"}, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "no local user nobody@example.com") {
		t.Fatalf("reset of an unknown user: exit %d %s", code, stderr.String())
	}
}
