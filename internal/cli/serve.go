package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// dev runs every part in one process.
func (c *command) dev(ctx context.Context, args []string) error {
	fs := c.flags("dev")
	addr := fs.String("addr", ":8080", "HTTP listen address")
	every := fs.Duration("tick", 30*time.Second, "how often the scheduler looks for due work")
	workers := fs.Int("workers", 4, "concurrent lane invocations")
	demoMode := fs.String("demo", "auto", "run against the provider simulator: on, off, or auto (on when no other connector is configured)")
	demoEvery := fs.Duration("demo-every", 15*time.Second, "how often the simulated org changes in demo mode")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{createKey: true, migrate: true, workers: *workers, backlog: 1024, demo: *demoMode})
	if err != nil {
		return err
	}
	defer rt.close()
	if err := c.ensureAdmin(ctx, rt); err != nil {
		return err
	}
	baseURL, wait, err := c.serveHTTP(ctx, rt, *addr)
	if err != nil {
		return err
	}
	if rt.demo != nil {
		// The connectors already point at this start's simulators; the event hook needs the server up.
		if err := rt.demo.Start(ctx, rt.app, baseURL); err != nil {
			c.log.Error("demo: start the simulated org", "err", err)
		} else {
			go rt.demo.Drive(ctx, *demoEvery)
		}
	}
	rt.startLanes(ctx, sspm.Lanes, *every)
	rt.startAlerts(ctx)
	return wait()
}

// serve runs the HTTP server only; lane work it triggers runs on an in-process invoker.
func (c *command) serve(ctx context.Context, args []string) error {
	fs := c.flags("serve")
	addr := fs.String("addr", ":8080", "HTTP listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{workers: 2, backlog: 256})
	if err != nil {
		return err
	}
	defer rt.close()
	rt.startAlerts(ctx)
	_, wait, err := c.serveHTTP(ctx, rt, *addr)
	if err != nil {
		return err
	}
	return wait()
}

// serveHTTP starts serving HTTP and returns the server's base URL and a wait function that blocks until ctx ends
// and then shuts the server down gracefully.
func (c *command) serveHTTP(ctx context.Context, rt *runtime, addr string) (string, func() error, error) {
	srv := &api.Server{Health: rt.db, Logger: c.log, SPA: spaFS(c.env.SPADir), Hooks: rt.app.NewHooks(rt.inbox())}
	admin, err := c.adminAPI(rt)
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	admin.Mount(mux)
	mux.Handle("/", srv.Handler())
	hs := newHTTPServer(mux, serverTimeouts)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	base := "http://" + displayAddr(ln.Addr())
	c.log.Info("open-sspm is up", "url", base, "health", base+"/healthz")
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	wait := func() error {
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		c.log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return base, wait, nil
}

// displayAddr is the address to reach a listener at: 127.0.0.1 for a listener on every interface.
func displayAddr(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", tcp.Port)
	}
	return a.String()
}

func spaFS(dir string) fs.FS {
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		if _, err := os.Stat(dir + "/index.html"); err == nil {
			return os.DirFS(dir)
		}
	}
	return nil
}

// httpTimeouts bound how long one client may hold a connection: sending its headers, its whole request (a body
// stalled mid-way), receiving the answer, and idling between requests.
type httpTimeouts struct {
	header, read, write, idle time.Duration
}

// serverTimeouts are the HTTP server's: a webhook body (at most a few hundred KiB) or an API request arrives
// well within read; the largest API answers go out well within write.
var serverTimeouts = httpTimeouts{header: 10 * time.Second, read: 30 * time.Second, write: 60 * time.Second, idle: 2 * time.Minute}

func newHTTPServer(h http.Handler, t httpTimeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.header, ReadTimeout: t.read, WriteTimeout: t.write, IdleTimeout: t.idle}
}
