package pgembed

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	// confFile holds the settings pgembed rewrites before every start.
	confFile = "open-sspm.conf"
	// logFile receives the server's output; each start truncates it.
	logFile     = "open-sspm-server.log"
	includeLine = "include_if_exists = '" + confFile + "'"
)

// initTimeout bounds initdb.
const initTimeout = 2 * time.Minute

// initCluster runs initdb into cluster: UTF-8, C locale, the role postgres,
// and trust authentication for every local and loopback connection. It
// ignores the cancellation of ctx: a killed initdb leaves a broken cluster,
// and it takes only seconds.
func initCluster(ctx context.Context, r runner, binDir, cluster string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), initTimeout)
	defer cancel()
	_, err := r.run(ctx, "", filepath.Join(binDir, "initdb"), "-D", cluster, "-U", Superuser,
		"-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
	if err != nil {
		return fmt.Errorf("pgembed initdb: %w", err)
	}
	return nil
}

// ensureInclude makes postgresql.conf include confFile, once.
func ensureInclude(cluster string) error {
	path := filepath.Join(cluster, "postgresql.conf")
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("pgembed postgresql.conf: %w", err)
	}
	if bytes.Contains(b, []byte(includeLine)) {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgembed postgresql.conf: %w", err)
	}
	_, werr := fmt.Fprintf(f, "\n# Added by pgembed: settings it rewrites before every start.\n%s\n", includeLine)
	if err := f.Close(); werr != nil || err != nil {
		return fmt.Errorf("pgembed postgresql.conf: %w", firstErr(werr, err))
	}
	return nil
}

// createDatabase creates name with the server stopped, through PostgreSQL's
// single-user mode, so pgembed needs no client driver. An existing database
// is fine.
func createDatabase(ctx context.Context, r runner, binDir, cluster, name string) error {
	out, err := r.run(ctx, "CREATE DATABASE "+name+";\n", filepath.Join(binDir, "postgres"),
		"--single", "-F", "-D", cluster, "postgres")
	if err != nil {
		return fmt.Errorf("pgembed create database %s: %w", name, err)
	}
	if bytes.Contains(out, []byte("ERROR:")) && !bytes.Contains(out, []byte("already exists")) {
		return fmt.Errorf("pgembed create database %s%s", name, tail(out))
	}
	return nil
}

// settings are what pgembed writes to confFile before a start.
type settings struct {
	port      int
	socketDir string
	ephemeral bool
}

// render returns confFile's text.
func (s settings) render() string {
	var b strings.Builder
	b.WriteString("# Written by pgembed before every start; edits are lost.\n")
	set := func(name, value string) { fmt.Fprintf(&b, "%s = %s\n", name, value) }
	set("listen_addresses", quote("127.0.0.1"))
	set("port", strconv.Itoa(s.port))
	set("unix_socket_directories", quote(s.socketDir))
	set("max_connections", "200")
	if s.ephemeral {
		set("fsync", "off")
		set("synchronous_commit", "off")
		set("full_page_writes", "off")
	}
	return b.String()
}

// quote makes v a postgresql.conf string literal.
func quote(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
