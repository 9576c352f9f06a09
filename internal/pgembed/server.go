package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrInUse means another live process started the server of this data
// folder; pgembed serves one process per data folder.
var ErrInUse = errors.New("pgembed: data folder in use")

// stopTimeout bounds Stop.
const stopTimeout = time.Minute

// Server is a running PostgreSQL server. Its methods are safe for concurrent
// use.
type Server struct {
	cfg    Config
	bins   binaries
	lay    layout
	run    runner
	logger *slog.Logger

	mu      sync.Mutex
	port    int
	stopped bool
}

// Start runs a server for cfg.DataDir and returns once it accepts
// connections: it initializes an empty data folder, reuses an initialized
// one, adopts a server an exited process left running, and otherwise starts
// one with pg_ctl. Starts on one data folder are serialized; while the
// process that started its server lives, Starts from other processes fail
// with ErrInUse. An adopted server keeps the settings it was started with.
// ctx bounds only the start; the server runs until Stop.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if runtime.GOOS == "windows" {
		return nil, errors.New("pgembed: windows is not supported")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	bins, err := findBinaries(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cfg.Logger.Info("pgembed: using PostgreSQL binaries", "dir", bins.dir, "source", bins.source, "version", bins.version)
	lay, err := planLayout(ctx, cfg, bins)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		bins:   bins,
		lay:    lay,
		run:    runner{user: lay.user, dir: filepath.Dir(lay.cluster)},
		logger: cfg.Logger,
	}
	unlock, err := lockDir(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgembed lock data dir: %w", err)
	}
	defer unlock()
	if err := s.checkPort(); err != nil {
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	adopted, err := s.adopt(ctx)
	if err != nil {
		return nil, err
	}
	if adopted {
		return s, nil
	}
	if err := s.ensureDatabase(ctx); err != nil {
		return nil, err
	}
	if err := s.launch(ctx); err != nil {
		return nil, err
	}
	s.logger.Info("pgembed: PostgreSQL started", "url", s.URL(), "cluster", lay.cluster)
	return s, nil
}

// URL returns a connection URL for the configured database, for example
// postgres://postgres@127.0.0.1:54321/opensspm?sslmode=disable.
func (s *Server) URL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port())),
		Path:     "/" + s.cfg.Database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// ClusterDir returns the cluster folder (PGDATA): DataDir, or as root its
// relocated folder. The server's log is open-sspm-server.log in it.
func (s *Server) ClusterDir() string { return s.lay.cluster }

// Stop shuts the server down (pg_ctl stop -m fast, then -m immediate if
// that fails) and waits for it to exit. Stopping a stopped server, or one
// that has already exited, returns nil. Stop ignores the cancellation of ctx,
// so that a shutdown triggered by a signal still stops the server, and waits
// at most stopTimeout.
func (s *Server) Stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	if err := s.shutdown(ctx); err != nil {
		return err
	}
	s.stopped = true
	st, err := readState(s.lay.cluster)
	if err != nil {
		return err
	}
	st.OwnerPID = 0
	return writeState(s.lay.cluster, st, s.lay.user)
}

// shutdown stops the cluster's server, if one runs, fast or else immediately.
func (s *Server) shutdown(ctx context.Context) error {
	pgCtl := filepath.Join(s.lay.binDir, "pg_ctl")
	_, err := s.run.run(ctx, "", pgCtl, "stop", "-D", s.lay.cluster, "-m", "fast", "-w", "-t", "60", "-s")
	if err != nil && s.running() {
		s.logger.Warn("pgembed: fast shutdown failed; shutting down immediately", "err", err)
		_, err = s.run.run(ctx, "", pgCtl, "stop", "-D", s.lay.cluster, "-m", "immediate", "-w", "-t", "60", "-s")
	}
	if err != nil && s.running() {
		return fmt.Errorf("pgembed stop: %w", err)
	}
	s.logger.Info("pgembed: PostgreSQL stopped", "cluster", s.lay.cluster)
	return nil
}

// Destroy stops the server and deletes DataDir and, as root, the relocated
// cluster. Tests use it to leave nothing behind.
func (s *Server) Destroy(ctx context.Context) error {
	if err := s.Stop(ctx); err != nil {
		return err
	}
	if s.lay.relocated != "" {
		if err := os.RemoveAll(s.lay.relocated); err != nil {
			return fmt.Errorf("pgembed destroy: %w", err)
		}
	}
	if err := os.RemoveAll(s.cfg.DataDir); err != nil {
		return fmt.Errorf("pgembed destroy: %w", err)
	}
	return nil
}

// checkPort fails early, before any initdb, when Config.Port is taken by
// anything but this cluster's own server.
func (s *Server) checkPort() error {
	if s.cfg.Port == 0 || portFree(s.cfg.Port) {
		return nil
	}
	if pm, ok, err := readPostmaster(s.lay.cluster); err == nil && ok && pm.port == s.cfg.Port && s.running() {
		return nil
	}
	return fmt.Errorf("%w: 127.0.0.1:%d; choose another port or set it to 0", ErrPortInUse, s.cfg.Port)
}

// running reports whether the cluster's postmaster process exists.
func (s *Server) running() bool {
	pm, ok, err := readPostmaster(s.lay.cluster)
	return err == nil && ok && processState(pm.pid) == procAlive
}

// prepare initializes the cluster if it has not been, and otherwise checks
// that the binaries can run it. A relocated cluster (only pgembed writes
// there) without pgembed's state file is the remains of an interrupted
// initdb and is initialized again; in DataDir such a cluster is used as
// found, since it may be one the user brought.
func (s *Server) prepare(ctx context.Context) error {
	b, err := os.ReadFile(filepath.Join(s.lay.cluster, "PG_VERSION"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgembed cluster: %w", err)
	}
	_, stErr := os.Stat(filepath.Join(s.lay.cluster, stateFile))
	initialized := err == nil && (stErr == nil || s.lay.relocated == "")
	if !initialized {
		return s.initialize(ctx)
	}
	if major := strings.TrimSpace(string(b)); major != strconv.Itoa(s.bins.major) {
		return fmt.Errorf("pgembed: the cluster in %s was made by PostgreSQL %s but the binaries in %s are "+
			"PostgreSQL %s; set %s to PostgreSQL %s binaries or delete the data folder",
			s.lay.cluster, major, s.bins.dir, s.bins.version, EnvBinDir, major)
	}
	if stErr != nil {
		s.logger.Info("pgembed: using a cluster pgembed did not finish initializing", "cluster", s.lay.cluster)
		if err := writeState(s.lay.cluster, state{}, s.lay.user); err != nil {
			return err
		}
	}
	return ensureInclude(s.lay.cluster)
}

// initialize runs initdb, first clearing a relocated cluster's remains.
func (s *Server) initialize(ctx context.Context) error {
	if !emptyDir(s.lay.cluster) {
		if s.lay.relocated == "" {
			return fmt.Errorf("pgembed: %s holds files but no cluster; empty or delete it", s.lay.cluster)
		}
		if pm, ok, _ := readPostmaster(s.lay.cluster); ok && processState(pm.pid) == procAlive {
			return fmt.Errorf("pgembed: %s is being initialized by process %d; try again", s.lay.cluster, pm.pid)
		}
		s.logger.Warn("pgembed: removing an incompletely initialized cluster", "cluster", s.lay.cluster)
		if err := os.RemoveAll(s.lay.cluster); err != nil {
			return fmt.Errorf("pgembed cluster: %w", err)
		}
	}
	s.logger.Info("pgembed: initializing cluster", "cluster", s.lay.cluster)
	if err := initCluster(ctx, s.run, s.lay.binDir, s.lay.cluster); err != nil {
		return err
	}
	if err := ensureInclude(s.lay.cluster); err != nil {
		return err
	}
	return writeState(s.lay.cluster, state{}, s.lay.user)
}

// emptyDir reports whether dir is missing or empty.
func emptyDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	return errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0)
}

// ensureDatabase creates the configured database unless pgembed did so
// before. The server must be stopped.
func (s *Server) ensureDatabase(ctx context.Context) error {
	st, err := readState(s.lay.cluster)
	if err != nil {
		return err
	}
	if s.cfg.Database == "postgres" || slices.Contains(st.Databases, s.cfg.Database) {
		return nil
	}
	if err := clearStale(ctx, s.lay.cluster, s.logger); err != nil {
		return err
	}
	if err := createDatabase(ctx, s.run, s.lay.binDir, s.lay.cluster, s.cfg.Database); err != nil {
		return err
	}
	st.Databases = append(st.Databases, s.cfg.Database)
	return writeState(s.lay.cluster, st, s.lay.user)
}
