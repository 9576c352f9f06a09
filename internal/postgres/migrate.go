package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew means the database was migrated by a newer Open-SSPM than this binary.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// Migrate applies the embedded migrations. Concurrent callers (several Lambdas, or a test and a server) are
// serialized by a PostgreSQL session lock. A database at a newer version than this binary knows is refused with
// ErrSchemaTooNew and left untouched.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	provider, closeFn, err := db.migrations()
	if err != nil {
		return 0, err
	}
	defer closeFn()
	current, err := provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: read schema version: %w", err)
	}
	latest := latestVersion(provider)
	if current > latest {
		return 0, fmt.Errorf("postgres: %w: the database is at version %d, this binary knows up to %d; run a newer open-sspm",
			ErrSchemaTooNew, current, latest)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	return len(results), nil
}

// SchemaVersion returns the database's schema version and the newest this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	provider, closeFn, err := db.migrations()
	if err != nil {
		return 0, 0, err
	}
	defer closeFn()
	current, err = provider.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: read schema version: %w", err)
	}
	return current, latestVersion(provider), nil
}

func (db *DB) migrations() (*goose.Provider, func(), error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: migration lock: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub, goose.WithSessionLocker(locker))
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return provider, func() { sqlDB.Close() }, nil
}

func latestVersion(p *goose.Provider) int64 {
	var v int64
	for _, s := range p.ListSources() {
		v = max(v, s.Version)
	}
	return v
}

// MigrationsHash fingerprints the embedded migrations (test databases are cloned from a template per hash).
func MigrationsHash() string {
	h := sha256.New()
	entries, _ := fs.ReadDir(migrationFiles, "migrations")
	for _, e := range entries {
		b, _ := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		h.Write([]byte(e.Name()))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
