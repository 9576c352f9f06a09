// Package cli is the local runtime's command line (functions/open-sspm): dev, serve, worker, migrate, sync,
// connectors and secrets. main passes the connector kinds to link; everything else is wired here.
package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sspm/open-sspm/internal/secrets"
)

// Env is the runtime's configuration, from environment variables.
type Env struct {
	DataDir     string // OPEN_SSPM_DATA, default .data
	DatabaseURL string // DATABASE_URL; empty starts the embedded PostgreSQL
	SecretKey   string // CONNECTOR_SECRET_KEY; empty reads (dev: creates) <data>/connector-secret.key
	// PreviousKeys (CONNECTOR_SECRET_KEY_PREVIOUS, comma-separated) open secrets wrapped before a key change,
	// until `open-sspm secrets rotate` re-wraps them under the current key.
	PreviousKeys []string
	LogFormat    string // LOG_FORMAT: text (default) or json
	LogLevel     string // LOG_LEVEL: debug, info (default), warn, error
	SPADir       string // OPEN_SSPM_SPA_DIR, default frontend/dist
	// Discovery is the global discovery switch (SYNC_DISCOVERY_ENABLED=1).
	Discovery bool
	// HistoryRetention (ACCESS_HISTORY_RETENTION_DAYS) is how many days access changes are kept; empty: 400.
	HistoryRetention string
}

// EnvFromOS reads the environment.
func EnvFromOS() Env {
	return Env{
		DataDir:          getenv("OPEN_SSPM_DATA", ".data"),
		DatabaseURL:      os.Getenv("DATABASE_URL"),
		SecretKey:        os.Getenv("CONNECTOR_SECRET_KEY"),
		PreviousKeys:     splitList(os.Getenv("CONNECTOR_SECRET_KEY_PREVIOUS")),
		LogFormat:        getenv("LOG_FORMAT", "text"),
		LogLevel:         getenv("LOG_LEVEL", "info"),
		SPADir:           getenv("OPEN_SSPM_SPA_DIR", filepath.Join("frontend", "dist")),
		Discovery:        os.Getenv("SYNC_DISCOVERY_ENABLED") == "1",
		HistoryRetention: os.Getenv("ACCESS_HISTORY_RETENTION_DAYS"),
	}
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Logger builds the structured logger the environment asks for.
func (e Env) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(e.LogLevel)); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", e.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(e.LogFormat) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("LOG_FORMAT %q: want text or json", e.LogFormat)
}

// keyFile is where the local runtime keeps a generated CONNECTOR_SECRET_KEY.
func (e Env) keyFile() string { return filepath.Join(e.DataDir, "connector-secret.key") }

// localKey returns the local key wrapper: CONNECTOR_SECRET_KEY, else the key file in the data folder, which
// create=true generates on first start.
func (e Env) localKey(create bool, log *slog.Logger) (*secrets.LocalKey, error) {
	if e.SecretKey != "" {
		k, err := secrets.NewLocalKeyring(e.SecretKey, e.PreviousKeys...)
		if err != nil {
			return nil, fmt.Errorf("CONNECTOR_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	b, err := os.ReadFile(e.keyFile())
	if errors.Is(err, os.ErrNotExist) && create {
		key, err := secrets.GenerateLocalKey()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(e.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
		if err := os.WriteFile(e.keyFile(), []byte(key+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", e.keyFile(), err)
		}
		log.Info("generated a connector secret key; keep it with the data folder", "file", e.keyFile())
		b = []byte(key)
	} else if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("CONNECTOR_SECRET_KEY is not set and %s does not exist (run `open-sspm dev` once, or set the variable to 32 random bytes in base64)", e.keyFile())
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", e.keyFile(), err)
	}
	k, err := secrets.NewLocalKeyring(strings.TrimSpace(string(b)), e.PreviousKeys...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.keyFile(), err)
	}
	return k, nil
}
