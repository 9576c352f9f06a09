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
	"github.com/open-sspm/open-sspm/internal/local"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// dev runs every part in one process.
func (c *command) dev(ctx context.Context, args []string) error {
	fs := c.flags("dev")
	addr := fs.String("addr", ":8080", "HTTP listen address")
	every := fs.Duration("tick", 30*time.Second, "how often the scheduler looks for due work")
	workers := fs.Int("workers", 4, "concurrent lane invocations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rt, err := open(ctx, c.env, c.log, c.reg, openOpts{createKey: true, migrate: true})
	if err != nil {
		return err
	}
	defer rt.close()
	inv := local.NewInvoker(*workers, 1024, rt.handle, c.log)
	defer inv.Stop()
	rt.app.Invoker = inv
	rt.startLanes(ctx, inv, []sspm.Lane{sspm.LaneFull, sspm.LaneDiscovery, sspm.LaneTail, sspm.LaneEventInbox}, *every)
	return c.listen(ctx, rt, *addr)
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
	return c.listen(ctx, rt, *addr)
}

// listen serves HTTP until ctx ends, then shuts down gracefully.
func (c *command) listen(ctx context.Context, rt *runtime, addr string) error {
	srv := &api.Server{Health: rt.db, Logger: c.log, SPA: spaFS(c.env.SPADir), Hooks: rt.app.NewHooks(rt.inbox())}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	c.log.Info("open-sspm is up", "url", "http://"+displayAddr(ln.Addr()), "health", "http://"+displayAddr(ln.Addr())+"/healthz")
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
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

func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("localhost:%d", tcp.Port)
		}
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
