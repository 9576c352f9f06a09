package demo

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// EntraConnectorID is the demo's Microsoft Entra ID tenant, the same company's.
const EntraConnectorID = "entra-demo"

// startEntra starts the company's Entra ID tenant over TLS: azidentity signs in only over https. The connectors
// trust its test certificate through the demo's outbound policy (withEntraRoots).
func startEntra(company *providersim.Company, run int64) *entrasim.Server {
	return entrasim.New(company, entrasim.Options{Run: run, TLS: true})
}

// withEntraRoots returns the policy p with the Entra simulator's certificate trusted as well.
func withEntraRoots(p *outbound.Policy, sim *entrasim.Server) *outbound.Policy {
	cfg := p.Config()
	if tr, ok := sim.Client().Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		cfg.RootCAs = tr.TLSClientConfig.RootCAs
	}
	return outbound.New(cfg)
}

// configureEntra creates (or re-points) the Entra connector: the tenant's token endpoint and Graph, with the app
// registration's client secret; weekly re-enumeration with delta runs in between.
func (o *Org) configureEntra(ctx context.Context, a *app.App) error {
	cfg, _ := json.Marshal(map[string]any{"tenant_id": o.Entra.TenantID(), "client_id": entrasim.DefaultClientID,
		"auth": "client_secret", "graph_url": o.Entra.URL() + "/v1.0", "authority_host": o.Entra.URL()})
	return o.configure(ctx, a, sspm.Connector{
		ID: EntraConnectorID, Kind: sspm.KindEntra, Name: "Microsoft Entra ID (simulated demo tenant)", Enabled: true,
		Authoritative: true, DiscoveryEnabled: true, Config: cfg,
		Intervals: map[sspm.Lane]time.Duration{sspm.LaneFull: 10 * time.Minute, sspm.LaneDiscovery: 5 * time.Minute},
	}, []byte(entrasim.DefaultSecret))
}

// startEntraSyncs subscribes to the tenant's change notifications at baseURL (the server must answer Graph's
// validation request) and triggers the Entra connector's first full and discovery runs. A subscription that
// cannot be made is logged: the demo runs without Entra push.
func (o *Org) startEntraSyncs(ctx context.Context, a *app.App, baseURL string) error {
	o.log.Info("demo: simulated Entra ID tenant started", "connector", EntraConnectorID, "graph", o.Entra.URL()+"/v1.0")
	if err := o.subscribeEntra(ctx, a, baseURL); err != nil {
		o.log.Warn("demo: entra change notifications not subscribed", "err", err)
	}
	for _, l := range []sspm.Lane{sspm.LaneFull, sspm.LaneDiscovery} {
		if err := a.TriggerSync(ctx, EntraConnectorID, l); err != nil {
			return err
		}
	}
	return nil
}

// changeEntra makes one change in the Entra tenant: mostly someone signs in to an app (discovery), sometimes an
// account is disabled or enabled again (directory audit: EV-005 when both happen within a day) or a member
// joins a group (the groups delta).
func (o *Org) changeEntra() error {
	users, groups, sps := o.Entra.UserIDs(), o.Entra.GroupIDs(), o.Entra.ServicePrincipalIDs()
	if len(users) == 0 || len(groups) == 0 || len(sps) == 0 {
		return nil
	}
	u := users[o.rng.IntN(len(users))]
	switch n := o.rng.IntN(10); {
	case n < 6:
		return o.Entra.RecordSignIn(u, sps[o.rng.IntN(len(sps))])
	case n < 8:
		return o.Entra.SetAccountEnabled(u, o.rng.IntN(2) == 0)
	default:
		// A person already in the group is left as is: AddMember refuses a second membership.
		_ = o.Entra.AddMember(groups[o.rng.IntN(len(groups))], u)
		return nil
	}
}

// subscribeEntra registers the Entra connector's hook through the App, which stores it: the users and groups
// subscriptions, renewed by the full lane at the stored hook.
func (o *Org) subscribeEntra(ctx context.Context, a *app.App, baseURL string) error {
	hookURL, ids, err := a.RegisterPush(ctx, EntraConnectorID, baseURL)
	if err != nil {
		return err
	}
	o.log.Info("demo: entra change notifications subscribed", "connector", EntraConnectorID, "subscriptions", ids, "hook", hookURL)
	return nil
}
