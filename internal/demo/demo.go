// Package demo runs Open-SSPM against the provider simulator: `make run` on a machine with no connector
// configured starts a simulated Okta org and the same company's GitHub organization, Google Workspace domain and
// Datadog organization and AWS IAM Identity Center instance, configures a connector for
// each, registers the push hooks (Okta, Google, Entra), triggers the first syncs, and keeps the org changing (people join and leave, memberships and assignments move, people sign
// in to sanctioned and shadow apps) so data flows in through every lane.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/open-sspm/open-sspm/internal/app"
	awsidc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/kinds"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// ConnectorID is the demo's Okta connector; GitHubConnectorID its GitHub organization, the same company's.
const (
	ConnectorID       = "okta-demo"
	GitHubConnectorID = "github-demo"
	// GoogleConnectorID is the demo's Google Workspace domain, the same company's.
	GoogleConnectorID = "google-demo"
	// DatadogConnectorID is the demo's Datadog organization, the same company's.
	DatadogConnectorID = "datadog-demo"
	// AWSConnectorID is the demo's AWS IAM Identity Center instance, the same company's.
	AWSConnectorID = "aws-demo"
)

// IsDemoConnector reports whether id is one of the connectors the demo configures.
func IsDemoConnector(id string) bool {
	return id == EntraConnectorID || id == ConnectorID || id == GitHubConnectorID || id == GoogleConnectorID || id == DatadogConnectorID || id == AWSConnectorID
}

// Org is a running simulated company: its Okta org and its GitHub organization.
type Org struct {
	Sim    *oktasim.Server
	GitHub *githubsim.Server
	Google *googlesim.Server
	// Datadog is the company's Datadog organization.
	Datadog *ddsim.Server
	// AWS is the company's IAM Identity Center instance.
	AWS *awssim.Server
	// Entra is the company's Microsoft Entra ID tenant (entra.go).
	Entra *entrasim.Server
	rng   *rand.Rand
	log   *slog.Logger
	// outbound lets the connectors reach the simulators' listeners and nothing else private.
	outbound *outbound.Policy
}

// Start starts the simulated Okta org and GitHub organization. Close them when done.
//
// Every start is a new run of the same company: its people, groups and apps keep their ids, so a restart on the
// same database sees the same inventory, but the events and deliveries of this start get ids of their own, so
// none is taken for a duplicate of an earlier start's.
func Start(log *slog.Logger) (*Org, error) {
	now := time.Now().UTC()
	cfg := providersim.Small()
	cfg.Now = now.Truncate(time.Second) // the org's history (sign-ins, consents, changes) is recent
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		return nil, fmt.Errorf("demo company: %w", err)
	}
	run := now.UnixNano()
	o := &Org{Sim: oktasim.New(company, oktasim.Options{Run: run}), GitHub: githubsim.New(company, githubsim.Options{Run: run}),
		rng: rand.New(rand.NewPCG(uint64(run), 2)), log: log}
	o.Google = googlesim.New(company, googlesim.Options{Run: run})
	o.Datadog = ddsim.New(company, ddsim.Options{Run: run})
	o.AWS = awssim.New(company, awssim.Options{})
	o.Entra = startEntra(company, run)
	o.outbound = withEntraRoots(outbound.Allowing(o.Sim.URL(), o.GitHub.URL(), o.Google.URL(), o.Datadog.URL(), o.AWS.URL(), o.Entra.URL()), o.Entra)
	return o, nil
}

// Close stops the simulated org.
func (o *Org) Close() {
	o.Sim.Close()
	o.GitHub.Close()
	o.Google.Close()
	o.Datadog.Close()
	o.AWS.Close()
	o.Entra.Close()
}

// KindOptions are the options of demo mode's kinds: they may point at the simulators' loopback addresses and
// reach the simulators' listeners, and nothing else private.
func (o *Org) KindOptions() kinds.Options {
	return kinds.Options{AllowLoopback: true, Outbound: o.outbound}
}

// Configure creates the demo's connectors for the simulated org, or points existing ones at this start's
// simulators (their addresses change with every start). Call it before any lane runs: a lane that ran first
// would call the previous start's addresses.
func (o *Org) Configure(ctx context.Context, a *app.App) error {
	cfg, _ := json.Marshal(okta.Config{OrgURL: o.Sim.URL(), Auth: okta.AuthAPIToken})
	err := o.configure(ctx, a, sspm.Connector{
		ID: ConnectorID, Kind: sspm.KindOkta, Name: "Okta (simulated demo org)", Enabled: true,
		DiscoveryEnabled: true, Config: cfg,
		Intervals: map[sspm.Lane]time.Duration{sspm.LaneFull: 10 * time.Minute, sspm.LaneDiscovery: 5 * time.Minute},
	}, []byte(oktasim.DefaultToken))
	if err != nil {
		return err
	}
	// The same people, some with another email case or none, so linking and "needs anchor" have work to show.
	cfg, _ = json.Marshal(github.Config{Org: o.GitHub.Org(), Auth: github.AuthToken, BaseURL: o.GitHub.URL() + "/"})
	err = o.configure(ctx, a, sspm.Connector{
		ID: GitHubConnectorID, Kind: sspm.KindGitHub, Name: "GitHub (simulated demo organization)", Enabled: true,
		Config: cfg, Intervals: map[sspm.Lane]time.Duration{sspm.LaneFull: 10 * time.Minute},
	}, []byte(githubsim.DefaultToken))
	if err != nil {
		return err
	}
	// The same company's Workspace domain, with a service account key generated by this start (its secret is
	// replaced on every start): OAuth grants to third-party apps feed discovery.
	cfg, _ = json.Marshal(google.Config{AdminEmail: o.Google.AdminEmail(), TokenURL: o.Google.TokenURL(), APIURL: o.Google.URL() + "/"})
	if err := o.configure(ctx, a, sspm.Connector{
		ID: GoogleConnectorID, Kind: sspm.KindGoogle, Name: "Google Workspace (simulated demo domain)", Enabled: true,
		DiscoveryEnabled: true, Config: cfg,
		Intervals: map[sspm.Lane]time.Duration{sspm.LaneFull: 10 * time.Minute, sspm.LaneDiscovery: 5 * time.Minute},
	}, o.Google.KeyJSON()); err != nil {
		return err
	}
	if err := a.SetSecret(ctx, GoogleConnectorID, o.Google.KeyJSON()); err != nil {
		return err
	}
	// The same company's Datadog organization: roles with admin-grade permissions under other names, service
	// accounts (never linked automatically) and their keys, and the Audit Trail.
	cfg, _ = json.Marshal(datadog.Config{Site: o.Datadog.URL()})
	secret, _ := json.Marshal(datadog.Secret{APIKey: ddsim.DefaultAPIKey, AppKey: ddsim.DefaultAppKey})
	if err := o.configure(ctx, a, sspm.Connector{
		ID: DatadogConnectorID, Kind: sspm.KindDatadog, Name: "Datadog (simulated demo organization)", Enabled: true,
		Config: cfg, Intervals: map[sspm.Lane]time.Duration{sspm.LaneFull: 10 * time.Minute},
	}, secret); err != nil {
		return err
	}
	// The same company's Entra ID tenant (its people, groups, apps and consents), as an authoritative source.
	if err := o.configureEntra(ctx, a); err != nil {
		return err
	}
	// The same company's IAM Identity Center: permission sets (some admin-grade) assigned to its groups and a few
	// users across AWS accounts; the simulator's static keys (tests and demo only).
	cfg, _ = json.Marshal(awsidc.Config{Region: o.AWS.Region(), InstanceARN: o.AWS.InstanceARN(), IdentityStoreID: o.AWS.IdentityStoreID(), Endpoint: o.AWS.URL()})
	keys, _ := json.Marshal(map[string]string{"access_key_id": awssim.DefaultAccessKeyID, "secret_access_key": awssim.DefaultSecretAccessKey})
	return o.configure(ctx, a, sspm.Connector{
		ID: AWSConnectorID, Kind: sspm.KindAWSIDC, Name: "AWS IAM Identity Center (simulated demo instance)", Enabled: true,
		Config: cfg, Intervals: map[sspm.Lane]time.Duration{sspm.LaneFull: 10 * time.Minute},
	}, keys)
}

// configure creates c with secret, or sets the config of the existing connector with c's id.
func (o *Org) configure(ctx context.Context, a *app.App, c sspm.Connector, secret []byte) error {
	cur, err := a.DB.Connector(ctx, c.ID)
	switch {
	case sspm.ErrorCode(err) == sspm.CodeNotFound:
		if _, err := a.CreateConnector(ctx, c, secret); err != nil {
			return fmt.Errorf("demo connector %s: %w", c.ID, err)
		}
	case err != nil:
		return err
	default:
		cur.Config = c.Config
		if _, err := a.DB.UpdateConnector(ctx, cur); err != nil {
			return fmt.Errorf("demo connector %s: %w", c.ID, err)
		}
	}
	o.log.Info("demo: simulated connector configured", "connector", c.ID, "kind", c.Kind)
	return nil
}

// Start registers the push hooks at baseURL through the App, which stores them (the server must answer the
// providers' verification): Okta's event hook, and Google's Reports channels and Entra's subscriptions, which
// expire and are renewed at the stored hook. It then triggers the first syncs of the connectors Configure set
// up. Every start registers again: the simulators are new ones.
func (o *Org) Start(ctx context.Context, a *app.App, baseURL string) error {
	hookURL, hookID, err := a.RegisterPush(ctx, ConnectorID, baseURL)
	if err != nil {
		return fmt.Errorf("demo event hook: %w", err)
	}
	c, err := a.DB.Connector(ctx, ConnectorID)
	if err != nil {
		return err
	}
	o.log.Info("demo: simulated Okta org started", "connector", c.ID, "org", o.Sim.URL(), "hook", hookURL, "event_hook", hookID)
	for _, l := range []sspm.Lane{sspm.LaneFull, sspm.LaneDiscovery} {
		if err := a.TriggerSync(ctx, c.ID, l); err != nil && l == sspm.LaneFull {
			return err
		}
	}
	o.log.Info("demo: simulated GitHub organization started", "connector", GitHubConnectorID, "api", o.GitHub.URL())
	if err := a.TriggerSync(ctx, GitHubConnectorID, sspm.LaneFull); err != nil {
		return err
	}
	o.log.Info("demo: simulated Google Workspace domain started", "connector", GoogleConnectorID, "api", o.Google.URL())
	// A channel that cannot be made is logged: the demo runs without Google push (the tail still reads).
	if hookURL, ids, err := a.RegisterPush(ctx, GoogleConnectorID, baseURL); err != nil {
		o.log.Warn("demo: google push channels not registered", "err", err)
	} else {
		o.log.Info("demo: google push channels registered", "connector", GoogleConnectorID, "channels", ids, "hook", hookURL)
	}
	for _, l := range []sspm.Lane{sspm.LaneFull, sspm.LaneDiscovery} {
		if err := a.TriggerSync(ctx, GoogleConnectorID, l); err != nil {
			return err
		}
	}
	if err := o.startEntraSyncs(ctx, a, baseURL); err != nil {
		return err
	}
	o.log.Info("demo: simulated AWS IAM Identity Center started", "connector", AWSConnectorID, "api", o.AWS.URL())
	return a.TriggerSync(ctx, AWSConnectorID, sspm.LaneFull)
}

// Drive changes the org every interval and delivers the matching event hooks, until ctx ends.
func (o *Org) Drive(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := o.change(); err != nil {
			o.log.Warn("demo: change", "err", err)
		}
		if err := o.changeGoogle(); err != nil {
			o.log.Warn("demo: google change", "err", err)
		}
		if _, err := o.Google.DeliverPush(ctx, nil); err != nil && ctx.Err() == nil {
			o.log.Warn("demo: deliver google push", "err", err)
		}
		o.changeDatadog()
		if err := o.changeEntra(); err != nil {
			o.log.Warn("demo: entra change", "err", err)
		}
		if _, err := o.Entra.DeliverNotifications(ctx); err != nil && ctx.Err() == nil {
			o.log.Warn("demo: deliver entra notifications", "err", err)
		}
		if err := o.changeAWS(); err != nil {
			o.log.Warn("demo: aws change", "err", err)
		}
		if _, err := o.Sim.DeliverHooks(ctx); err != nil && ctx.Err() == nil {
			o.log.Warn("demo: deliver hooks", "err", err)
		}
	}
}

// change makes one plausible change to the org.
func (o *Org) change() error {
	c := o.Sim.Company()
	person := c.People[o.rng.IntN(len(c.People))]
	userID, ok := o.Sim.UserID(person.ID)
	if !ok {
		return nil
	}
	appRef := c.Apps[o.rng.IntN(len(c.Apps))]
	appID, _ := o.Sim.AppID(appRef.Key)
	switch n := o.rng.IntN(10); {
	case n < 5:
		return o.Sim.RecordSSO(userID, appID)
	case n < 6:
		return o.Sim.RecordConsent(userID, appID, []string{"openid", "profile", "email", "offline_access"})
	case n < 7:
		return o.Sim.AssignUserToApp(appID, userID)
	case n < 8:
		g := c.Groups[o.rng.IntN(len(c.Groups))]
		if gid, ok := o.Sim.GroupID(g.Name); ok {
			return o.Sim.AddGroupMember(gid, userID)
		}
		return nil
	case n < 9:
		first := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"}[o.rng.IntN(6)]
		_, err := o.Sim.AddUser(oktasim.UserSpec{FirstName: first, LastName: fmt.Sprintf("Newhire%d", o.rng.IntN(100000)),
			Email: fmt.Sprintf("%s.newhire%d@%s", first, o.rng.IntN(100000), c.Domain), Department: "Engineering", Title: "Engineer"})
		return err
	default:
		return o.Sim.DeactivateUser(userID)
	}
}

// changeGoogle makes one change to the Workspace domain: mostly a sign-in, sometimes an OAuth grant to a
// third-party app (discovery evidence and an EV-006 event).
func (o *Org) changeGoogle() error {
	users := o.Google.Users()
	if len(users) == 0 {
		return nil
	}
	u := users[o.rng.IntN(len(users))]
	if o.rng.IntN(4) > 0 {
		return o.Google.RecordLogin(u.ID)
	}
	apps := o.Google.Company().ShadowApps
	if len(apps) == 0 {
		return nil
	}
	app := apps[o.rng.IntN(len(apps))]
	_, err := o.Google.Authorize(u.ID, app.Name, []string{"openid", "email", "https://www.googleapis.com/auth/drive.readonly"})
	return err
}

// changeDatadog records one admin action in the Datadog organization's Audit Trail: mostly a key created
// (EV-003), sometimes a user added to a role, an admin-grade one now and then (EV-001, EV-008).
func (o *Org) changeDatadog() {
	users, roles := o.Datadog.Users(), o.Datadog.Roles()
	if len(users) == 0 || len(roles) == 0 {
		return
	}
	u := users[o.rng.IntN(len(users))]
	if o.rng.IntN(3) > 0 {
		o.Datadog.AppendEvent(ddsim.Event{Action: "created", AssetType: "application_key",
			AssetID: fmt.Sprintf("demo-key-%d", o.rng.IntN(1<<30)), AssetName: u.Name + " key",
			ActorEmail: u.Email, Message: "Application key " + u.Name + " key was created."})
		return
	}
	r := roles[o.rng.IntN(len(roles))]
	o.Datadog.AppendEvent(ddsim.Event{Action: "modified", AssetType: "role", AssetID: r.ID, AssetName: r.Name,
		Message: fmt.Sprintf("added user %s to role %s.", u.Handle, r.Name)})
}

// changeAWS makes one change to the Identity Center instance: mostly a portal sign-in, sometimes a user added to
// a group or an account assignment (CloudTrail events the tail reads; admin-grade ones raise EV-001 / EV-009).
func (o *Org) changeAWS() error {
	users, groups := o.AWS.Users(), o.AWS.Groups()
	if len(users) == 0 || len(groups) == 0 {
		return nil
	}
	u := users[o.rng.IntN(len(users))]
	switch n := o.rng.IntN(10); {
	case n < 7:
		return o.AWS.SignIn(u.ID)
	case n < 9:
		return o.AWS.AddMember(groups[o.rng.IntN(len(groups))].ID, u.ID)
	default:
		sets, accounts := o.AWS.PermissionSets(), o.AWS.Accounts()
		return o.AWS.Assign(awssim.Assignment{AccountID: accounts[o.rng.IntN(len(accounts))],
			PermissionSetARN: sets[o.rng.IntN(len(sets))].ARN, PrincipalType: "USER", PrincipalID: u.ID})
	}
}
