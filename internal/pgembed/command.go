package pgembed

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// runner runs PostgreSQL programs as user (the current user when nil) from
// dir, a folder that user may enter.
type runner struct {
	user *osUser
	dir  string
}

// run executes name with args, feeding it stdin, and returns its combined
// output. A failure carries the tail of that output.
func (r runner) run(ctx context.Context, stdin, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = r.dir
	cmd.Env = childEnv(os.Environ())
	cmd.SysProcAttr = sysProcAttr(r.user)
	// pg_ctl leaves a server behind; never wait on a pipe it might inherit.
	cmd.WaitDelay = 2 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%w%s", err, tail(out.Bytes()))
	}
	return out.Bytes(), nil
}

// childEnv drops the PG* variables (PGDATA, PGPORT, ...) that would otherwise
// steer initdb and pg_ctl away from the arguments pgembed passes.
func childEnv(env []string) []string {
	kept := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PG") {
			kept = append(kept, kv)
		}
	}
	return kept
}

// tail returns the last lines of out, prefixed with ":\n", or "" for empty
// output, for appending to an error.
func tail(out []byte) string {
	const maxLines = 15
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return ":\n" + strings.Join(lines, "\n")
}
