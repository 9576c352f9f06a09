package pgembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// adopt takes over a server left running by a process that exited without
// Stop, and reports whether it did. It refuses with ErrInUse when that
// process is alive, and stops the server instead when it listens on another
// port than Config.Port or lacks the configured database.
func (s *Server) adopt(ctx context.Context) (bool, error) {
	pm, ok, err := readPostmaster(s.lay.cluster)
	if err != nil || !ok || processState(pm.pid) != procAlive {
		return false, err
	}
	st, err := readState(s.lay.cluster)
	if err != nil {
		return false, err
	}
	if owner := st.OwnerPID; owner != 0 && owner != os.Getpid() && processState(owner) == procAlive {
		return false, fmt.Errorf("%w: %s is served by process %d (postmaster %d); stop that process or use another data folder",
			ErrInUse, s.cfg.DataDir, owner, pm.pid)
	}
	if (s.cfg.Port != 0 && s.cfg.Port != pm.port) ||
		(s.cfg.Database != "postgres" && !slices.Contains(st.Databases, s.cfg.Database)) {
		s.logger.Info("pgembed: restarting server left running by an earlier process", "pid", pm.pid)
		return false, s.shutdown(ctx)
	}
	if err := waitReady(ctx, s.lay.cluster, 10*time.Second); err != nil {
		return false, fmt.Errorf("pgembed: server %d left running in %s: %w; stop it with %s stop -D %s",
			pm.pid, s.lay.cluster, err, filepath.Join(s.lay.binDir, "pg_ctl"), s.lay.cluster)
	}
	s.port = pm.port
	st.Port, st.OwnerPID = pm.port, os.Getpid()
	if err := writeState(s.lay.cluster, st, s.lay.user); err != nil {
		return false, err
	}
	s.logger.Info("pgembed: reusing server left running by an earlier process", "pid", pm.pid, "url", s.URL())
	return true, nil
}

// waitReady waits until postmaster.pid says "ready" and the port accepts TCP
// connections.
func waitReady(ctx context.Context, cluster string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		pm, ok, err := readPostmaster(cluster)
		if err != nil {
			return err
		}
		if ok && (pm.status == "ready" || pm.status == "") && pm.port != 0 {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(pm.port)), time.Second)
			if err == nil {
				return conn.Close()
			}
		}
		if time.Now().After(deadline) {
			return errors.New("not accepting connections")
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// launch writes the settings and starts the server with pg_ctl. With
// Config.Port zero it picks another port when the chosen one is taken in the
// meantime; after a crash it retries while the dead server's processes and
// lock file go away.
func (s *Server) launch(ctx context.Context) error {
	st, err := readState(s.lay.cluster)
	if err != nil {
		return err
	}
	logPath := filepath.Join(s.lay.cluster, logFile)
	deadline := time.Now().Add(20 * time.Second)
	var taken []int
	for {
		port, err := s.pickPort(st.Port, taken)
		if err != nil {
			return err
		}
		conf := settings{port: port, socketDir: s.lay.socketDir, ephemeral: s.cfg.Ephemeral}
		if err := writeFileAtomic(filepath.Join(s.lay.cluster, confFile), []byte(conf.render()), s.lay.user); err != nil {
			return fmt.Errorf("pgembed settings: %w", err)
		}
		if err := clearStale(ctx, s.lay.cluster, s.logger); err != nil {
			return err
		}
		_ = os.Remove(logPath)
		_, err = s.run.run(ctx, "", filepath.Join(s.lay.binDir, "pg_ctl"), "start", "-w", "-t", "60", "-s",
			"-D", s.lay.cluster, "-l", logPath)
		if err == nil {
			s.port = port
			st.Port, st.OwnerPID = port, os.Getpid()
			return writeState(s.lay.cluster, st, s.lay.user)
		}
		serverLog, _ := os.ReadFile(logPath)
		switch {
		case bindFailed(serverLog) && s.cfg.Port == 0 && len(taken) < 5:
			taken = append(taken, port)
		case bindFailed(serverLog):
			return fmt.Errorf("%w: 127.0.0.1:%d%s", ErrPortInUse, port, tail(serverLog))
		case staleServer(serverLog) && time.Now().Before(deadline):
			s.logger.Debug("pgembed: waiting for the processes of a crashed server to exit")
			if err := sleep(ctx, 250*time.Millisecond); err != nil {
				return err
			}
		default:
			damaged := s.cfg.DataDir
			if s.lay.relocated != "" {
				damaged = s.lay.relocated + " and " + damaged
			}
			return fmt.Errorf("pgembed start: %w%s\n(server log: %s; if the cluster is damaged, delete %s)",
				err, tail(serverLog), logPath, damaged)
		}
	}
}

// pickPort returns Config.Port if free, else the previous port if free and
// not in taken, else a free port.
func (s *Server) pickPort(previous int, taken []int) (int, error) {
	if s.cfg.Port != 0 {
		if !portFree(s.cfg.Port) {
			return 0, fmt.Errorf("%w: 127.0.0.1:%d; choose another port or set it to 0", ErrPortInUse, s.cfg.Port)
		}
		return s.cfg.Port, nil
	}
	if previous != 0 && !slices.Contains(taken, previous) && portFree(previous) {
		return previous, nil
	}
	return freePort()
}

// clearStale deals with a postmaster.pid whose process has died but is not
// reaped (a zombie, as under a container init that never reaps): PostgreSQL
// would take it for a live server forever. It waits up to 5 s for the
// process to vanish, then removes the file. A lock file of a gone process is
// left to PostgreSQL, which checks its shared memory before reusing it.
func clearStale(ctx context.Context, cluster string, logger *slog.Logger) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		pm, ok, err := readPostmaster(cluster)
		if err != nil || !ok || processState(pm.pid) != procZombie {
			return err
		}
		if time.Until(deadline) > 4900*time.Millisecond {
			logger.Debug("pgembed: waiting for the exited server's process to be reaped", "pid", pm.pid)
		}
		if time.Now().After(deadline) {
			logger.Warn("pgembed: removing postmaster.pid of an exited, unreaped server", "pid", pm.pid)
			if err := os.Remove(filepath.Join(cluster, "postmaster.pid")); err != nil {
				return fmt.Errorf("pgembed stale postmaster.pid: %w", err)
			}
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

func bindFailed(serverLog []byte) bool {
	text := string(serverLog)
	return strings.Contains(text, "could not bind") || strings.Contains(text, "could not create any TCP/IP sockets")
}

// staleServer reports a failure caused by a crashed server whose processes
// or lock file are still around.
func staleServer(serverLog []byte) bool {
	text := string(serverLog)
	return strings.Contains(text, `lock file "postmaster.pid" already exists`) ||
		strings.Contains(text, "pre-existing shared memory block")
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
