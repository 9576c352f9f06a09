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
	"github.com/open-sspm/open-sspm/internal/demo"
	"github.com/open-sspm/open-sspm/internal/local"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// dev runs every part in one process.
func (c *command) dev(ctx context.Context, args []string) error {
	fs := c.flags("dev")
	addr := fs.String("addr", ":8080", "HTTP listen address")
	every := fs.Duration("tick", 30*time.Second, "how often the scheduler looks for due work")
	workers := fs.Int("workers", 4, "concurrent lane invocations")
	demoMode := fs.String("demo", "auto", "run against the provider simulator: on, off, or auto (on when no other connector is configured)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rt, err := open(ctx, c.env, c.log, c.reg, openOpts{createKey: true, migrate: true})
	if err != nil {
		return err
	}
	defer rt.close()
	org, err := c.startDemo(ctx, rt, *demoMode)
	if err != nil {
		return err
	}
	if org != nil {
		defer org.Close()
	}
	inv := local.NewInvoker(*workers, 1024, rt.handle, c.log)
	defer inv.Stop()
	rt.app.Invoker = inv
	if err := c.ensureAdmin(ctx, rt); err != nil {
		return err
	}
	rt.startLanes(ctx, inv, sspm.Lanes, *every)
	rt.startAlerts(ctx)
	baseURL, wait, err := c.serveHTTP(ctx, rt, *addr)
	if err != nil {
		return err
	}
	if org != nil {
		if err := org.Configure(ctx, rt.app, baseURL); err != nil {
			c.log.Error("demo: configure the simulated org", "err", err)
		} else {
			go org.Drive(ctx, 15*time.Second)
		}
	}
	return wait()
}

// startDemo starts the simulated Okta org when the mode asks for it (auto: no connector but the demo's is
// configured) and swaps in the Okta kind that may reach it.
func (c *command) startDemo(ctx context.Context, rt *runtime, mode string) (*demo.Org, error) {
	switch mode {
	case "off":
		return nil, nil
	case "on":
	case "auto":
		conns, err := rt.db.Connectors(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range conns {
			if !demo.IsDemoConnector(k.ID) {
				return nil, nil
			}
		}
	default:
		return nil, fmt.Errorf("--demo %q: want on, off or auto", mode)
	}
	org, err := demo.Start(c.log)
	if err != nil {
		return nil, err
	}
	for _, k := range org.Kinds() {
		rt.app.Registry = rt.app.Registry.With(k)
	}
	rt.app.DiscoveryEnabled = true
	rt.env.Discovery = true
	return org, nil
}

// serve runs the HTTP server only; lane work it triggers runs on an in-process invoker.
func (c *command) serve(ctx context.Context, args []string) error {
	fs := c.flags("serve")
	addr := fs.String("addr", ":8080", "HTTP listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rt, err := open(ctx, c.env, c.log, c.reg, openOpts{})
	if err != nil {
		return err
	}
	defer rt.close()
	inv := local.NewInvoker(2, 256, rt.handle, c.log)
	defer inv.Stop()
	rt.app.Invoker = inv
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
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
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
