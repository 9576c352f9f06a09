// Command withpg runs a command with TEST_DATABASE_URL pointing at a throw-away embedded PostgreSQL, unless
// TEST_DATABASE_URL or DATABASE_URL is already set: `go run ./internal/pgembed/cmd/withpg go test ./...`.
// One server serves every test binary, instead of one per package.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/open-sspm/open-sspm/internal/pgembed"
)

func main() {
	os.Exit(run())
}

func run() int {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: withpg COMMAND [ARGS...]")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := os.Environ()
	if os.Getenv("TEST_DATABASE_URL") == "" && os.Getenv("DATABASE_URL") == "" {
		dir, err := os.MkdirTemp("", "open-sspm-withpg-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "withpg:", err)
			return 1
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		srv, err := pgembed.Start(ctx, pgembed.Config{DataDir: dir, Ephemeral: true, Logger: log})
		if err != nil {
			os.RemoveAll(dir)
			fmt.Fprintln(os.Stderr, "withpg: start embedded postgres:", err)
			return 1
		}
		defer srv.Destroy(context.Background()) //nolint:errcheck
		env = append(env, "TEST_DATABASE_URL="+srv.URL())
		fmt.Fprintln(os.Stderr, "withpg: embedded PostgreSQL at", srv.URL())
	}
	cmd := exec.CommandContext(ctx, os.Args[1], os.Args[2:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, os.Stdin, os.Stdout, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	return 0
}
