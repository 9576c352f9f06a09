package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/kinds"
	"github.com/open-sspm/open-sspm/internal/outbound"
)

const usage = `open-sspm: who has access to what, across identity providers and SaaS apps.

Usage:
  open-sspm dev      [--addr :8080] [--demo auto|on|off]   everything in one process: PostgreSQL, migrations,
                                             scheduler, lanes, HTTP; --demo runs against a simulated Okta org
  open-sspm serve    [--addr :8080]          the HTTP server only (health, API, webhooks, admin UI)
  open-sspm worker   --lane LANE             one lane's scheduler and workers (full, discovery, event-inbox, tail, evaluator)
  open-sspm migrate                          apply database migrations
  open-sspm sync     --connector ID [--lane full|discovery]   run one sync now, in the foreground
  open-sspm connectors list
  open-sspm connectors add --id ID --kind KIND --name NAME [--config JSON] [--secret-file FILE] [--discovery]
  open-sspm secrets rotate                   re-wrap every connector secret's data key under the current key
  open-sspm hooks register --connector ID --url URL   register the connector's push hook with the provider
                                             (Okta event hook, Entra subscriptions, Google channels) at
                                             URL/hooks/KIND/ID; renewals then use it
  open-sspm hooks show --connector ID        the connector's registered push hook
  open-sspm okta register-hook --connector ID --url URL   the same as hooks register, for an Okta connector
  open-sspm users bootstrap-admin --email E [--password-file F]   create the first admin (local sign-in)
  open-sspm users reset-password --email E                      give a local user a new password
  open-sspm openapi                          print the admin API's OpenAPI document
  open-sspm rules list [--json]              the rulesets and event policies shipped in the binary
  open-sspm rules doc                        their Markdown reference (docs/rules.md)
  open-sspm rules eval --ruleset KEY --input FILE.json [--json]   evaluate a ruleset offline against dataset rows

Environment: DATABASE_URL (default: an embedded PostgreSQL in the data folder), OPEN_SSPM_DATA (.data),
CONNECTOR_SECRET_KEY (default: <data>/connector-secret.key, created by dev), LOG_FORMAT (text|json), LOG_LEVEL.
`

// Main runs the command line with every connector kind (internal/kinds) until ctx ends and returns the process
// exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Run(ctx, args, stdout, stderr, kinds.Options{})
}

// Run is Main with the kinds configured by ko (tests point them at the provider simulators).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, ko kinds.Options) int {
	env := EnvFromOS()
	log, err := env.Logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "open-sspm:", err)
		return 2
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	allowed, err := outbound.ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "open-sspm:", err)
		return 2
	}
	if ko.Outbound == nil { // the operator's policy for every kind; demo mode replaces it with its own
		ko.Outbound = outbound.New(allowed)
	}
	c := &command{env: env, log: log, kinds: ko, reg: kinds.NewRegistry(ko), stdout: stdout, stderr: stderr}
	var run func(context.Context, []string) error
	switch args[1] {
	case "dev":
		run = c.dev
	case "serve":
		run = c.serve
	case "worker":
		run = c.worker
	case "migrate":
		run = c.migrate
	case "sync":
		run = c.sync
	case "connectors":
		run = c.connectors
	case "secrets":
		run = c.secrets
	case "hooks":
		run = c.hooksCmd
	case "okta":
		run = c.oktaCmd
	case "users":
		run = c.users
	case "rules":
		run = c.rulesCmd
	case "openapi":
		run = c.openapi
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "open-sspm: unknown command %q\n\n%s", args[1], usage)
		return 2
	}
	if err := run(ctx, args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "open-sspm %s: %v\n", args[1], err)
		return 1
	}
	return 0
}

type command struct {
	env    Env
	log    *slog.Logger
	kinds  kinds.Options       // how the runtimes this command opens configure the connector kinds
	reg    *connector.Registry // the kinds, to validate input before anything opens
	stdout io.Writer
	stderr io.Writer
}

func (c *command) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("open-sspm "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}
