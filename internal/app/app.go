// Package app is the composition root shared by the local runtime (functions/open-sspm), the Lambda functions and
// end-to-end tests: it wires the store, the secret sealer, the connector registry and the lanes, and offers the
// operations the entrypoints call.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/discovery"
	"github.com/open-sspm/open-sspm/internal/identity"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// InboxQueue names the queue between the webhook and the inbox lane.
const InboxQueue = "inbox"

// Deps are the App's outside parts. The local runtime (internal/cli) and the Lambda runtime (internal/awsrun)
// differ only in the adapters they pass here.
type Deps struct {
	DB       *postgres.DB
	Keys     sspm.KeyWrapper     // wraps connector secrets' data keys (a local key, KMS)
	Registry *connector.Registry // the connector kinds; nil means none (functions that never call a provider)
	// Invoker runs lane invocations asynchronously (the local pool, Lambda async invoke, the tail state
	// machine). Nil refuses every invocation.
	Invoker sspm.Invoker
	// AlertRoutes route finding state changes to alert destinations (see alert.Config.Routes); none enqueues
	// nothing.
	AlertRoutes []alert.Route
	// DiscoveryEnabled is the global discovery switch (SYNC_DISCOVERY_ENABLED=1); each connector has its own too.
	DiscoveryEnabled bool
	Logger           *slog.Logger     // nil discards
	Now              func() time.Time // nil means time.Now
	// HistoryRetention is how long access changes are kept (zero: lane.DefaultHistoryRetention).
	HistoryRetention time.Duration
	// LoopbackHooks lets RegisterPush register a plain http hook URL on a loopback address: demo mode and tests,
	// whose provider simulators deliver there (the kinds' AllowLoopback). Otherwise hook URLs must be https.
	LoopbackHooks bool
}

// App holds the wired parts. New sets every field; nothing changes them afterwards.
type App struct {
	DB         *postgres.DB
	Sealer     *secrets.Sealer
	Keys       sspm.KeyWrapper
	Registry   *connector.Registry
	Runner     *lane.Runner
	Dispatcher *lane.Dispatcher
	Tailer     *lane.Tailer
	Evaluator  *lane.Evaluator
	Logger     *slog.Logger

	// alerts enqueues finding state changes for the alert destinations in the outbox (an alert.Deliverer sends
	// them); nil without routes.
	alerts        *alert.Outbox
	invoker       sspm.Invoker
	discovery     bool
	loopbackHooks bool
	now           func() time.Time
}

// New wires an App from its dependencies. It fails only when the embedded rulesets do not load.
func New(d Deps) (*App, error) {
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	catalog, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("load rulesets: %w", err)
	}
	reg := d.Registry
	if reg == nil {
		reg = connector.NewRegistry()
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	a := &App{DB: d.DB, Sealer: secrets.NewSealer(d.Keys), Keys: d.Keys, Registry: reg, Logger: logger,
		invoker: d.Invoker, discovery: d.DiscoveryEnabled, loopbackHooks: d.LoopbackHooks, now: now}
	if d.DB != nil {
		// GitHub's conditional requests keep their answers in the store; kinds whose push subscriptions expire
		// renew them at the hook RegisterPush stored (PushHook).
		a.Registry = reg.Bind(connector.Deps{HTTPCache: d.DB, Hooks: a})
	}
	a.Runner = &lane.Runner{Store: d.DB, Sources: a.source, Logger: logger, AfterSuccess: a.afterSync}
	a.Dispatcher = &lane.Dispatcher{Store: d.DB, Invoker: invokerFunc(a.invoke), Logger: logger}
	a.Tailer = &lane.Tailer{Store: d.DB, Streams: a.streams, AfterStore: a.afterEvents}
	a.Evaluator = &lane.Evaluator{Store: d.DB, Catalog: catalog, Logger: logger, HistoryRetention: d.HistoryRetention}
	a.routeAlerts(d.AlertRoutes)
	return a, nil
}

// routeAlerts routes finding state changes (opened, reopened, escalated) to the routes' destinations: the
// store enqueues one outbox row per alert and destination that takes its severity in the transaction that
// records the change, and the evaluator wakes the deliverer. Without routes nothing is enqueued. Delivery is
// separate (NewAlertDeliverer), so a process that evaluates without the destinations' secrets (the api function
// on AWS) still enqueues.
func (a *App) routeAlerts(routes []alert.Route) {
	if len(routes) == 0 {
		return
	}
	a.alerts = &alert.Outbox{Store: a.DB, Routes: routes}
	a.Evaluator.Alerts = a.alerts
	if a.DB != nil { // state changes and their alerts commit together
		a.DB.SetAlertRouter(a.alerts.Entries)
	}
}

// Invoker is where the App sends lane invocations (for the admin API's manual syncs).
func (a *App) Invoker() sspm.Invoker { return invokerFunc(a.invoke) }

// DiscoveryEnabled reports the global discovery switch.
func (a *App) DiscoveryEnabled() bool { return a.discovery }

// Alerting reports whether finding alerts are routed to any destination.
func (a *App) Alerting() bool { return a.alerts != nil }

// NewAlertDeliverer returns a deliverer of the outbox's rows for the given destinations (by name). When the app
// enqueues alerts too, an enqueue wakes the deliverer's Run loop.
func (a *App) NewAlertDeliverer(notifiers map[string]alert.Notifier, o alert.DeliverOptions) *alert.Deliverer {
	if o.Logger == nil {
		o.Logger = a.Logger
	}
	d := alert.NewDeliverer(a.DB, notifiers, o)
	if a.alerts != nil {
		a.alerts.OnEnqueue = d.Wake
	}
	return d
}

// Evaluate runs the evaluator lane for an invocation: after a full sync the connector's posture rulesets, the
// global rules and identity findings; after pushed or tailed events (trigger push) the event policies.
func (a *App) Evaluate(ctx context.Context, inv sspm.Invocation) (lane.EvalReport, error) {
	return a.Evaluator.Evaluate(ctx, lane.ScopeFor(inv))
}

type invokerFunc func(ctx context.Context, inv sspm.Invocation) error

func (f invokerFunc) Invoke(ctx context.Context, inv sspm.Invocation) error { return f(ctx, inv) }

func (a *App) invoke(ctx context.Context, inv sspm.Invocation) error {
	if a.invoker == nil {
		return errors.New("app: no invoker configured")
	}
	return a.invoker.Invoke(ctx, inv)
}

// Handle executes one full or discovery invocation within deadline. A run that pauses at its budget is invoked
// again to continue; a busy connector is not an error.
func (a *App) Handle(ctx context.Context, inv sspm.Invocation, owner string, deadline time.Time) (lane.Result, error) {
	if inv.Lane == sspm.LaneDiscovery && !a.discovery {
		return lane.Result{}, errDiscoveryOff
	}
	res, err := a.Runner.Run(ctx, inv, owner, deadline)
	if err != nil {
		return res, err
	}
	if res.Outcome == lane.OutcomeContinue && ctx.Err() == nil {
		next := inv
		next.Trigger = res.Run.Trigger
		if err := a.invoke(ctx, next); err != nil {
			return res, fmt.Errorf("continue run %d: %w", res.Run.ID, err)
		}
	}
	return res, nil
}

// StaleAfter is how long without activity makes an identity stale.
const StaleAfter = identity.StaleAfter

var errDiscoveryOff = sspm.Errorf(sspm.CodeInvalid, "discovery is off (set SYNC_DISCOVERY_ENABLED=1)")

// afterSync links a connector's accounts to identities after its full sync succeeded, and rescores the
// discovered apps after a discovery run.
func (a *App) afterSync(ctx context.Context, c sspm.Connector, run sspm.SyncRun) error {
	if run.Lane == sspm.LaneDiscovery {
		n, err := discovery.Rebuild(ctx, a.DB, a.now())
		if err != nil {
			return err
		}
		a.Logger.Info("discovered apps rescored", "connector", c.ID, "apps", n)
		return nil
	}
	if run.Lane != sspm.LaneFull {
		return nil
	}
	r, err := a.DB.LinkAccounts(ctx, c.ID, c.Authoritative, a.now().Add(-StaleAfter))
	if err != nil {
		return err
	}
	a.Logger.Info("accounts linked", "connector", c.ID, "identities_created", r.Created, "linked", r.Linked)
	a.requestEvaluation(ctx, sspm.Invocation{Lane: sspm.LaneEvaluator, ConnectorID: c.ID, Trigger: run.Trigger})
	return nil
}

// TriggerSync asks for a manual run of a lane now, bypassing the schedule and its back-off.
func (a *App) TriggerSync(ctx context.Context, connectorID string, l sspm.Lane) error {
	c, err := a.DB.Connector(ctx, connectorID)
	if err != nil {
		return err
	}
	if !c.Enabled {
		return sspm.Errorf(sspm.CodeInvalid, "connector %s is disabled", c.ID)
	}
	if l == sspm.LaneDiscovery && !a.discovery {
		return errDiscoveryOff
	}
	return a.invoke(ctx, sspm.Invocation{Lane: l, ConnectorID: c.ID, Trigger: sspm.TriggerManual})
}

// CreateConnector validates a connector and its secret and stores both, sealed, in one step: invalid input writes
// nothing.
func (a *App) CreateConnector(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Connector, error) {
	if err := a.Registry.Validate(c, secret); err != nil {
		return sspm.Connector{}, err
	}
	kind, _ := a.Registry.Lookup(c.Kind)
	if kind.Authoritative {
		c.Authoritative = true
	}
	n := postgres.NewConnector{Connector: c, SecretKeyID: a.Keys.KeyID()}
	if len(secret) > 0 {
		var err error
		if n.Secret, err = a.Sealer.Seal(ctx, c.ID, secret); err != nil {
			return sspm.Connector{}, fmt.Errorf("seal secret of %s: %w", c.ID, err)
		}
	}
	if kind.Push != nil {
		hook, err := newWebhookSecret()
		if err != nil {
			return sspm.Connector{}, err
		}
		if n.WebhookSecret, err = a.WebhookSealer().Seal(ctx, c.ID, hook); err != nil {
			return sspm.Connector{}, fmt.Errorf("seal webhook secret of %s: %w", c.ID, err)
		}
	}
	return a.DB.CreateConnectorWithSecrets(ctx, n)
}

// SetSecret replaces a connector's secret after validating it.
func (a *App) SetSecret(ctx context.Context, connectorID string, secret []byte) error {
	c, err := a.DB.Connector(ctx, connectorID)
	if err != nil {
		return err
	}
	if err := a.Registry.Validate(c, secret); err != nil {
		return err
	}
	sealed, err := a.Sealer.Seal(ctx, c.ID, secret)
	if err != nil {
		return fmt.Errorf("seal secret of %s: %w", c.ID, err)
	}
	return a.DB.SetConnectorSecret(ctx, c.ID, sealed, a.Keys.KeyID())
}

// RotateSecrets re-wraps the data key of every connector secret and webhook secret under the current key,
// without touching the secrets; a secret sealed before purposes were told apart is sealed again under its
// purpose (provider credential or webhook verification). It returns how many secrets it re-wrapped.
func (a *App) RotateSecrets(ctx context.Context) (int, error) {
	n, err := a.DB.RewrapConnectorSecrets(ctx, func(ctx context.Context, id string, sealed []byte) ([]byte, string, error) {
		next, err := a.Sealer.Rewrap(ctx, id, sealed)
		return next, a.Keys.KeyID(), err
	})
	if err != nil {
		return n, err
	}
	hooks := a.WebhookSealer()
	m, err := a.DB.RewrapWebhookSecrets(ctx, func(ctx context.Context, id string, sealed []byte) ([]byte, error) {
		return hooks.Rewrap(ctx, id, sealed)
	})
	return n + m, err
}

// WebhookSealer seals and opens webhook secrets (their own purpose: see secrets.PurposeWebhookVerification).
func (a *App) WebhookSealer() *secrets.Sealer {
	return a.Sealer.For(secrets.PurposeWebhookVerification)
}

// ConnectorSecret opens a connector's provider credential (for commands that call the provider directly).
func (a *App) ConnectorSecret(ctx context.Context, c sspm.Connector) ([]byte, error) {
	return a.secret(ctx, c)
}

func (a *App) secret(ctx context.Context, c sspm.Connector) ([]byte, error) {
	sealed, err := a.DB.ConnectorSecret(ctx, c.ID)
	if err != nil || len(sealed) == 0 {
		return nil, err
	}
	plain, err := a.Sealer.Open(ctx, c.ID, sealed)
	if err != nil {
		return nil, fmt.Errorf("open secret of %s: %w", c.ID, err)
	}
	return plain, nil
}

func (a *App) source(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
	kind, err := a.Registry.Lookup(c.Kind)
	if err != nil {
		return nil, err
	}
	if kind.NewSource == nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "connector kind %s has no inventory to sync", c.Kind)
	}
	secret, err := a.secret(ctx, c)
	if err != nil {
		return nil, err
	}
	return kind.NewSource(ctx, c, secret)
}

func (a *App) streams(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
	kind, err := a.Registry.Lookup(c.Kind)
	if err != nil {
		return nil, err
	}
	if kind.NewStreams == nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "connector kind %s has no event stream to tail", c.Kind)
	}
	secret, err := a.secret(ctx, c)
	if err != nil {
		return nil, err
	}
	return kind.NewStreams(ctx, c, secret)
}

// TailStreams lists the (connector, stream) pairs the tail lane follows: every enabled connector whose kind has
// event streams.
func (a *App) TailStreams(ctx context.Context) ([]sspm.Invocation, error) {
	conns, err := a.DB.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	var out []sspm.Invocation
	for _, c := range conns {
		if !c.Enabled {
			continue
		}
		kind, err := a.Registry.Lookup(c.Kind)
		if err != nil || kind.NewStreams == nil {
			continue
		}
		src, err := a.streams(ctx, c)
		if err != nil {
			a.Logger.Warn("tail: cannot build streams", "connector", c.ID, "err", err)
			continue
		}
		for _, s := range src.Streams() {
			out = append(out, sspm.Invocation{Lane: sspm.LaneTail, ConnectorID: c.ID, Stream: s, Trigger: sspm.TriggerSchedule})
		}
	}
	return out, nil
}
