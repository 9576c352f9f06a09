package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// oktaCmd holds Okta-specific commands: register-hook creates and verifies the event hook in the Okta org through
// the API, pointing at this deployment's webhook URL with the connector's webhook secret.
func (c *command) oktaCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "register-hook" {
		return errors.New("okta: want register-hook --connector ID --url URL")
	}
	fs := c.flags("okta register-hook")
	id := fs.String("connector", "", "Okta connector id")
	base := fs.String("url", "", "the public base URL of this deployment (the stack output WebhookBaseUrl), or the full hook URL")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *id == "" || *base == "" {
		return errors.New("okta register-hook: --connector and --url are required")
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{})
	if err != nil {
		return err
	}
	defer rt.close()
	conn, err := rt.db.Connector(ctx, *id)
	if err != nil {
		return err
	}
	if conn.Kind != sspm.KindOkta {
		return fmt.Errorf("connector %s is a %s connector, not okta", conn.ID, conn.Kind)
	}
	secret, err := rt.app.ConnectorSecret(ctx, conn)
	if err != nil {
		return err
	}
	hookSecret, err := rt.app.WebhookSecret(ctx, conn.ID)
	if err != nil {
		return err
	}
	kind, err := rt.app.Registry.Lookup(conn.Kind)
	if err != nil {
		return err
	}
	hookURL := hookURLFor(*base, conn)
	hookID, err := kind.Push.Register(ctx, conn, secret, hookURL, hookSecret)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "event hook %s registered and verified: %s\n", hookID, hookURL)
	return nil
}

// hookURLFor is base + /hooks/<kind>/<id> unless base already is the full hook URL.
func hookURLFor(base string, c sspm.Connector) string {
	path := "/hooks/" + string(c.Kind) + "/" + c.ID
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	if len(base) >= len(path) && base[len(base)-len(path):] == path {
		return base
	}
	return base + path
}
