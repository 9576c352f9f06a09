package pgembed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// rootBase holds relocated clusters and shared binaries when the process is
// root. It must be owned by root and writable by nobody else.
const rootBase = "/var/tmp/open-sspm-pg"

// clusterLink is the symlink in DataDir that points at a relocated cluster.
const clusterLink = "cluster"

// originFile, in a relocated cluster's folder, names the DataDir it serves.
const originFile = "origin"

// layout says where the cluster lives and who runs PostgreSQL.
type layout struct {
	cluster   string  // PGDATA
	socketDir string  // Unix socket folder; "" disables the socket
	binDir    string  // binaries user can execute
	user      *osUser // nil: the current user
	relocated string  // root only: the folder holding cluster, socket and origin
}

// planLayout prepares the folders for cfg: DataDir itself for a normal user,
// a folder under rootBase owned by an unprivileged user for root.
func planLayout(ctx context.Context, cfg Config, bins binaries) (layout, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return layout{}, fmt.Errorf("pgembed data dir: %w", err)
	}
	if !isRoot() {
		return layout{cluster: cfg.DataDir, socketDir: socketDir(cfg.DataDir), binDir: bins.dir}, nil
	}
	return planRootLayout(ctx, cfg, bins)
}

func planRootLayout(ctx context.Context, cfg Config, bins binaries) (layout, error) {
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "PG_VERSION")); err == nil {
		return layout{}, fmt.Errorf("pgembed: %s holds a cluster, but PostgreSQL cannot run as root there; "+
			"run as the cluster's owner or use an empty data folder", cfg.DataDir)
	}
	if err := ensureRootBase(rootBase); err != nil {
		return layout{}, err
	}
	key, err := clusterKey(cfg.DataDir)
	if err != nil {
		return layout{}, err
	}
	dir := filepath.Join(rootBase, key)
	u, err := relocatedOwner(dir)
	if err != nil {
		return layout{}, err
	}
	binDir, err := shareBinaries(bins.dir, rootBase, u)
	if err != nil {
		return layout{}, err
	}
	// A relocated cluster whose data folder has no link to it belongs to an earlier data folder at the same path
	// that was deleted (say `rm -rf .data`): its data goes with the folder, as it would without root.
	if _, err := os.Lstat(filepath.Join(cfg.DataDir, clusterLink)); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err == nil {
			if err := removeRelocated(ctx, dir, binDir); err != nil {
				return layout{}, fmt.Errorf("pgembed: remove the cluster of a deleted data folder: %w", err)
			}
			cfg.Logger.Info("pgembed: removed the cluster of a deleted data folder at the same path", "dir", dir)
			if u, err = relocatedOwner(dir); err != nil {
				return layout{}, err
			}
		}
	}
	if err := writeFileAtomic(filepath.Join(dir, originFile), []byte(cfg.DataDir+"\n"), u); err != nil {
		return layout{}, fmt.Errorf("pgembed cluster origin: %w", err)
	}
	cluster := filepath.Join(dir, "data")
	if err := linkCluster(cfg.DataDir, cluster); err != nil {
		return layout{}, err
	}
	cfg.Logger.Debug("pgembed: running as an unprivileged user", "user", u.name, "cluster", cluster)
	pruneOrphans(ctx, rootBase, dir, binDir, cfg.Logger)
	return layout{cluster: cluster, socketDir: dir, binDir: binDir, user: u, relocated: dir}, nil
}

// relocatedOwner creates dir for the unprivileged user, or returns the user
// that already owns it so that a cluster keeps its owner across runs.
func relocatedOwner(dir string) (*osUser, error) {
	if fi, err := os.Stat(dir); err == nil {
		if u := ownerOf(fi); u != nil {
			return u, nil
		}
	}
	u, err := unprivilegedUser()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pgembed cluster folder: %w", err)
	}
	if err := errors.Join(os.Chmod(dir, 0o700), chown(dir, u)); err != nil {
		return nil, fmt.Errorf("pgembed cluster folder: %w", err)
	}
	return u, nil
}

// ensureRootBase creates base, refusing one that someone other than root
// could have planted or could change.
func ensureRootBase(base string) error {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("pgembed %s: %w", base, err)
	}
	fi, err := os.Lstat(base)
	if err != nil {
		return fmt.Errorf("pgembed %s: %w", base, err)
	}
	uid, _, ok := fileOwner(fi)
	if !fi.IsDir() || (ok && uid != 0) || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("pgembed: %s must be a folder owned by root and writable only by root", base)
	}
	return nil
}

// clusterKey names a data folder's relocated cluster: a hash of its real path.
func clusterKey(dataDir string) (string, error) {
	real, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		return "", fmt.Errorf("pgembed data dir: %w", err)
	}
	sum := sha256.Sum256([]byte(real))
	return hex.EncodeToString(sum[:8]), nil
}

// linkCluster points DataDir/cluster at cluster, replacing a stale link.
func linkCluster(dataDir, cluster string) error {
	link := filepath.Join(dataDir, clusterLink)
	if target, err := os.Readlink(link); err == nil && target == cluster {
		return nil
	} else if err == nil {
		_ = os.Remove(link)
	}
	if err := os.Symlink(cluster, link); err != nil {
		return fmt.Errorf("pgembed cluster link: %w", err)
	}
	return nil
}

// socketDir returns dir when a socket path in it fits the kernel's limit
// (104 bytes on macOS, 108 on Linux), else "" to listen on TCP only.
func socketDir(dir string) string {
	const maxSocketPath = 103
	if len(dir)+len("/.s.PGSQL.65535") > maxSocketPath {
		return ""
	}
	return dir
}

// pruneOrphans removes relocated clusters under base, other than keep, whose
// data folder no longer exists, stopping their server first. It is best
// effort: failures are logged and the entry is left.
func pruneOrphans(ctx context.Context, base, keep, binDir string, logger *slog.Logger) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		if !e.IsDir() || dir == keep || len(e.Name()) != 16 {
			continue
		}
		origin, err := os.ReadFile(filepath.Join(dir, originFile))
		if err != nil || len(origin) < 2 {
			continue
		}
		dataDir := strings.TrimSuffix(string(origin), "\n")
		if _, err := os.Stat(dataDir); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := removeRelocated(ctx, dir, binDir); err != nil {
			logger.Warn("pgembed: cannot remove orphaned cluster", "dir", dir, "err", err)
			continue
		}
		logger.Info("pgembed: removed cluster of a deleted data folder", "dir", dir, "data_dir", dataDir)
	}
}

// removeRelocated stops the server of a relocated cluster folder, if one runs, and deletes the folder.
func removeRelocated(ctx context.Context, dir, binDir string) error {
	cluster := filepath.Join(dir, "data")
	if pm, ok, _ := readPostmaster(cluster); ok && processState(pm.pid) == procAlive {
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		r := runner{user: ownerOf(fi), dir: dir}
		if _, err := r.run(ctx, "", filepath.Join(binDir, "pg_ctl"), "stop", "-D", cluster, "-m", "immediate", "-w", "-s"); err != nil {
			return fmt.Errorf("stop server: %w", err)
		}
	}
	return os.RemoveAll(dir)
}
