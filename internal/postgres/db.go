// Package postgres is Open-SSPM's store: a pgx pool, the embedded goose migrations, and the named sqlc queries
// in queries/ (generated into sqlgen/ by `make generate`; never edit sqlgen by hand). Exported methods own their
// transaction; unexported helpers take one.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// DB is the store. It is safe for concurrent use.
type DB struct {
	pool   *pgxpool.Pool
	q      *sqlgen.Queries
	alerts AlertRouter // see SetAlertRouter
	// now is the clock of leases, visibility timeouts, retries and eviction (see WithClock); nil leaves them to
	// the database's now().
	now func() time.Time
	// password gives each new connection's password (see WithPassword).
	password func(ctx context.Context, host string, port uint16, user string) (string, error)
}

// Option configures a store at Open.
type Option func(*DB)

// WithClock makes the store read the time of its leases (sync runs, queue messages, alert claims), their
// expiry and retries, and the HTTP cache's eviction from now instead of the database's now(): tests pass a fake
// clock and advance it rather than sleep. Without it (or with nil) the database's clock decides, one clock for
// every process sharing the database.
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

// WithPassword makes every new connection sign in with the password password returns (for example an IAM
// database authentication token, which expires after 15 minutes and so is made afresh for each connection),
// instead of any password in the URL.
func WithPassword(password func(ctx context.Context, host string, port uint16, user string) (string, error)) Option {
	return func(db *DB) { db.password = password }
}

// Open connects to the database at url (a postgres:// URL or a key=value DSN) and checks the connection.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") && cfg.MaxConns < 8 {
		cfg.MaxConns = 8 // unless the URL says otherwise (a Lambda wants 1 or 2 connections)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	db := &DB{}
	for _, o := range opts {
		o(db)
	}
	if db.password != nil {
		cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			p, err := db.password(ctx, cc.Host, cc.Port, cc.User)
			if err != nil {
				return fmt.Errorf("postgres: password for %s@%s: %w", cc.User, cc.Host, err)
			}
			cc.Password = p
			return nil
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping %s@%s:%d/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host,
			cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	db.pool, db.q = pool, sqlgen.New(pool)
	return db, nil
}

// clock is the time the lease, visibility and eviction queries take as @clock_now: the store's clock, or NULL
// for the database's now() (the queries read COALESCE(@clock_now, now())).
func (db *DB) clock() pgtype.Timestamptz {
	if db.now == nil {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: db.now(), Valid: true}
}

// goNow is the store's clock read in Go: the clock, else the process's time.
func (db *DB) goNow() time.Time { return sspm.Now(db.now) }

// Close closes the pool.
func (db *DB) Close() { db.pool.Close() }

// Pool exposes the pool for health checks and tests.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// inTx runs fn in a transaction, committing when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(q *sqlgen.Queries) error) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return fn(db.q.WithTx(tx)) })
}

// inAsyncTx is inTx with an asynchronous commit (see AsyncCommit): only for work whose loss after a crash is
// harmless.
func (db *DB) inAsyncTx(ctx context.Context, fn func(q *sqlgen.Queries) error) error {
	return db.inTx(ctx, func(q *sqlgen.Queries) error {
		if err := q.AsyncCommit(ctx); err != nil {
			return err
		}
		return fn(q)
	})
}

// notFound maps pgx.ErrNoRows to sspm.ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, sspm.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

func fromTS(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time
}
