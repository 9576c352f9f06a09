// Package api is Open-SSPM's HTTP surface: health, the admin REST API under /api (as it grows), the provider
// webhooks under /hooks, and the built single-page app. It is a plain net/http handler, served by the local
// runtime and (wrapped) by the api and webhook Lambdas.
package api

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"
)

// Health is what /healthz checks.
type Health interface {
	Ping(ctx context.Context) error
	SchemaVersion(ctx context.Context) (current, latest int64, err error)
}

// Server holds the HTTP surface's dependencies.
type Server struct {
	Health Health
	// SPA is the built single-page app (frontend/dist); nil serves a short notice at /.
	SPA    fs.FS
	Logger *slog.Logger
	// Hooks serves /hooks/{kind}/{connector}; nil leaves the route out (the api Lambda).
	Hooks http.Handler
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /", s.spa)
	if s.Hooks != nil {
		mux.Handle("GET /hooks/{kind}/{connector}", s.Hooks)
		mux.Handle("POST /hooks/{kind}/{connector}", s.Hooks)
	}
	return mux
}

type healthBody struct {
	Status        string `json:"status"`
	Database      string `json:"database"`
	SchemaVersion int64  `json:"schema_version"`
	SchemaLatest  int64  `json:"schema_latest"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	body := healthBody{Status: "ok", Database: "ok"}
	status := http.StatusOK
	if err := s.Health.Ping(ctx); err != nil {
		s.logger().Warn("healthz: database unreachable", "err", err)
		body.Status, body.Database, status = "unavailable", "unreachable", http.StatusServiceUnavailable
	} else if cur, latest, err := s.Health.SchemaVersion(ctx); err != nil {
		body.Status, body.Database, status = "unavailable", "schema unknown", http.StatusServiceUnavailable
	} else {
		body.SchemaVersion, body.SchemaLatest = cur, latest
		if cur != latest {
			body.Status, body.Database, status = "unavailable", "migrations pending", http.StatusServiceUnavailable
		}
	}
	writeJSON(w, status, body)
}

// spa serves the built app's files, and index.html for client-side routes.
func (s *Server) spa(w http.ResponseWriter, r *http.Request) {
	if s.SPA == nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("Open-SSPM is running. The admin UI is not built: run `make frontend`.\n"))
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	// A folder (such as assets/) is never listed: like a path that is no file, it gets the app.
	if st, err := fs.Stat(s.SPA, name); err != nil || st.IsDir() {
		name = "index.html"
	}
	setSecurityHeaders(w)
	http.ServeFileFS(w, r, s.SPA, name)
}

func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}
