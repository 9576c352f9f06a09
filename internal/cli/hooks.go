package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// hooksCmd registers and shows connectors' push hooks: `hooks register` registers the hook with the provider
// through its API (any kind whose push has a registration: Okta's event hook, Entra's subscriptions, Google's
// Reports channels) at this deployment's URL with the connector's webhook secret, and stores where it is, so that
// subscriptions that expire are renewed; `hooks show` prints the stored registration.
func (c *command) hooksCmd(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "register":
			return c.registerHook(ctx, "hooks register", "", args[1:])
		case "show":
			return c.showHook(ctx, args[1:])
		}
	}
	return errors.New("hooks: want register --connector ID --url URL, or show --connector ID")
}

// oktaCmd keeps `okta register-hook`, the command Okta's hook was registered with before `hooks register`.
func (c *command) oktaCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "register-hook" {
		return errors.New("okta: want register-hook --connector ID --url URL")
	}
	return c.registerHook(ctx, "okta register-hook", sspm.KindOkta, args[1:])
}

// registerHook registers a connector's push hook; kind, when set, is the only kind the command takes.
func (c *command) registerHook(ctx context.Context, name string, kind sspm.Kind, args []string) error {
	fs := c.flags(name)
	id := fs.String("connector", "", "connector id")
	base := fs.String("url", "", "the public base URL of this deployment (the stack output WebhookBaseUrl), or the full hook URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" || *base == "" {
		return fmt.Errorf("%s: --connector and --url are required", name)
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{})
	if err != nil {
		return err
	}
	defer rt.close()
	if kind != "" {
		conn, err := rt.db.Connector(ctx, *id)
		if err != nil {
			return err
		}
		if conn.Kind != kind {
			return fmt.Errorf("connector %s is a %s connector, not %s: use open-sspm hooks register", conn.ID, conn.Kind, kind)
		}
	}
	hookURL, ref, err := rt.app.RegisterPush(ctx, *id, *base)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "push hook of %s registered: %s\nprovider ids: %s\n", *id, hookURL, ref)
	return nil
}

func (c *command) showHook(ctx context.Context, args []string) error {
	fs := c.flags("hooks show")
	id := fs.String("connector", "", "connector id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("hooks show: --connector is required")
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{})
	if err != nil {
		return err
	}
	defer rt.close()
	if _, err := rt.db.Connector(ctx, *id); err != nil {
		return err
	}
	r, err := rt.app.PushRegistration(ctx, *id)
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return fmt.Errorf("connector %s: no push hook registered (open-sspm hooks register --connector %s --url URL)", *id, *id)
	}
	if err != nil {
		return err
	}
	if r.Registered() {
		fmt.Fprintf(c.stdout, "hook URL:      %s\nprovider ids:  %s\nregistered at: %s\n", r.HookURL, r.ProviderRef, r.RegisteredAt.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintln(c.stdout, "hook URL:      (none registered)")
	}
	if r.LastError != "" {
		fmt.Fprintf(c.stdout, "last failure:  %s (%s, at %s)\n", r.LastError, r.LastErrorURL, r.LastErrorAt.UTC().Format(time.RFC3339))
	}
	return nil
}
