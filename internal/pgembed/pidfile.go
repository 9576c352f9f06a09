package pgembed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

type procState int

const (
	procGone procState = iota
	procAlive
	procZombie
)

// postmaster is what pgembed reads from a cluster's postmaster.pid.
type postmaster struct {
	pid    int
	port   int
	status string // "starting", "ready", "stopping"; empty before PostgreSQL 10
}

// parsePostmaster reads the lines of postmaster.pid that matter: 1 (pid),
// 4 (port) and 8 (status). Missing or partial lines leave zero values.
func parsePostmaster(text string) postmaster {
	lines := strings.Split(text, "\n")
	field := func(i int) string {
		if i < len(lines) {
			return strings.TrimSpace(lines[i])
		}
		return ""
	}
	var pm postmaster
	pm.pid, _ = strconv.Atoi(field(0))
	pm.port, _ = strconv.Atoi(field(3))
	pm.status = field(7)
	return pm
}

// readPostmaster returns the cluster's postmaster.pid, with ok false when
// there is none.
func readPostmaster(cluster string) (pm postmaster, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(cluster, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return postmaster{}, false, nil
	}
	if err != nil {
		return postmaster{}, false, fmt.Errorf("pgembed postmaster.pid: %w", err)
	}
	return parsePostmaster(string(b)), true, nil
}

const stateFile = "open-sspm-pg.json"

// state is what pgembed remembers about a cluster between runs, in the
// cluster folder.
type state struct {
	// Port is the port of the last start, reused when free.
	Port int `json:"port,omitempty"`
	// OwnerPID is the process whose Start launched or adopted the running
	// server; zero once stopped.
	OwnerPID int `json:"owner_pid,omitempty"`
	// Databases lists the databases pgembed created.
	Databases []string `json:"databases,omitempty"`
}

func readState(cluster string) (state, error) {
	var st state
	b, err := os.ReadFile(filepath.Join(cluster, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("pgembed state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return state{}, fmt.Errorf("pgembed state %s: %w", stateFile, err)
	}
	return st, nil
}

// writeState replaces the state file atomically, owned by u.
func writeState(cluster string, st state, u *osUser) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("pgembed state: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(cluster, stateFile), append(b, '\n'), u); err != nil {
		return fmt.Errorf("pgembed state: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path, gives it to u
// and renames it over path.
func writeFileAtomic(path string, data []byte, u *osUser) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o600), chown(f.Name(), u)); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return nil
}
