package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// connectors lists or adds connectors.
func (c *command) connectors(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("connectors: want list or add")
	}
	switch args[0] {
	case "list":
		rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{})
		if err != nil {
			return err
		}
		defer rt.close()
		conns, err := rt.db.Connectors(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tKIND\tNAME\tENABLED\tDISCOVERY\tSECRET")
		for _, k := range conns {
			fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%v\t%v\n", k.ID, k.Kind, k.Name, k.Enabled, k.DiscoveryEnabled, k.HasSecret)
		}
		return w.Flush()
	case "add":
		fs := c.flags("connectors add")
		id := fs.String("id", "", "connector id (lower-case letters, digits, dashes)")
		kind := fs.String("kind", "", fmt.Sprintf("connector kind %v", c.reg.Names()))
		name := fs.String("name", "", "display name")
		config := fs.String("config", "{}", "settings as JSON")
		secretFile := fs.String("secret-file", "", "file holding the secret (API token, private key, ...)")
		discovery := fs.Bool("discovery", false, "turn discovery on")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var secret []byte
		if *secretFile != "" {
			b, err := os.ReadFile(*secretFile)
			if err != nil {
				return fmt.Errorf("read secret file: %w", err)
			}
			secret = b
		}
		if !json.Valid([]byte(*config)) {
			return errors.New("--config is not valid JSON")
		}
		conn := sspm.Connector{ID: *id, Kind: sspm.Kind(*kind), Name: *name, Enabled: true, DiscoveryEnabled: *discovery, Config: json.RawMessage(*config)}
		if err := c.reg.Validate(conn, secret); err != nil { // before anything starts or is written
			return err
		}
		rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{})
		if err != nil {
			return err
		}
		defer rt.close()
		created, err := rt.app.CreateConnector(ctx, conn, secret)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "connector %s (%s) added\n", created.ID, created.Kind)
		return nil
	}
	return fmt.Errorf("connectors: unknown subcommand %q (want list or add)", args[0])
}

// secrets rotates the data keys of every connector secret.
func (c *command) secrets(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("secrets: want rotate")
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{})
	if err != nil {
		return err
	}
	defer rt.close()
	n, err := rt.app.RotateSecrets(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "re-wrapped %d connector secrets under key %s\n", n, rt.app.Keys.KeyID())
	return nil
}
