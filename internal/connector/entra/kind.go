// Package entra is the Microsoft Entra ID connector: Microsoft Graph v1.0 through msgraph-sdk-go's request
// adapter and azidentity's client credentials (a client secret or a certificate), against a tenant (or the
// provider simulator, internal/providersim/entrasim, in demo mode and tests), turned into Open-SSPM's inventory.
//
//   - Full lane, in stages: roles (activated directory roles and their members; the admins), users (members and
//     guests, accountEnabled, signInActivity where the tenant has Entra ID P1, admin flags from the roles,
//     direct or through role-assignable groups), groups (with their direct members), apps (enterprise
//     applications and app registrations, linked by appId; credential metadata; owners; app role
//     assignments), grants (OAuth2 delegated permission grants) and mfa (userRegistrationDetails where
//     licensed).
//   - Delta: users and groups are enumerated whole on the first run and every full_resync_hours (weekly by
//     default); their deltaLinks are kept as the stages' watermarks and the runs in between apply the delta (see
//     delta.go). Only a full enumeration expires users, groups and memberships. Apps follow the same cadence with
//     the service principals and applications deltas (appsdelta.go); OAuth grants and MFA registration, which
//     have no delta, are read at most daily (cadence.go).
//
// Every step reads one page or a few small ones and returns a cursor that holds everything needed to continue,
// so a new Source resumes a run after a crash or at the invocation's time budget.
package entra

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Options are what the composition root decides for every Entra connector.
type Options struct {
	// AllowLoopback lets graph_url and authority_host point at a loopback address: demo mode with the provider
	// simulator, and tests.
	AllowLoopback bool
	// Outbound is the policy of calls to Graph and the authority (which addresses may be reached, timeouts); nil
	// means outbound.Strict().
	Outbound *outbound.Policy
	// HTTPClient, when set, supplies the base transport instead of Outbound's (tests against the simulator's TLS
	// listener); requests still go only to the configured hosts.
	HTTPClient *http.Client
	// Credential, when set, replaces the client-credentials sign-in (tests with a static token).
	Credential azcore.TokenCredential
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits (throttling, retries); nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Hook, when set, returns a connector's registered push hook URL and webhook secret (a sspm.CodeNotFound
	// error when none is registered); Bind takes it from connector.Deps.Hooks. With a hook the subscriptions
	// stage re-creates a subscription that expired or vanished (subscriptions.go); without one it can only
	// report that push stopped.
	Hook func(ctx context.Context, c sspm.Connector) (hookURL, hookSecret string, err error)
}

func (o Options) policy() *outbound.Policy {
	if o.Outbound == nil {
		return outbound.Strict()
	}
	return o.Outbound
}

func (o Options) now() time.Time { return sspm.Now(o.Now) }

func (o Options) sleep(ctx context.Context, d time.Duration) error {
	return sspm.Sleep(ctx, d, o.Sleep)
}

// NewKind describes the Entra ID connector kind for the registry.
func NewKind(opts Options) connector.Kind {
	unbound := opts
	bind := func(d connector.Deps) connector.Kind {
		o := unbound
		if o.Outbound == nil {
			o.Outbound = d.Outbound
		}
		if o.Hook == nil && d.Hooks != nil {
			o.Hook = d.Hooks.PushHook
		}
		return NewKind(o)
	}
	if opts.Outbound == nil {
		opts.Outbound = outbound.Strict()
	}
	return connector.Kind{
		Kind:          sspm.KindEntra,
		Authoritative: true,
		ConfigSchema:  json.RawMessage(ConfigSchema),
		Scopes:        Scopes,
		Endpoint:      connector.Endpoint{Field: "authority_host", Default: DefaultAuthorityHost},
		Validate:      opts.Validate,
		NewSource: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			return opts.NewSource(ctx, c, secret)
		},
		NewStreams: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.StreamSource, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Discovery: true, // SSO sign-ins and OAuth consents
		Push:      &connector.Push{Verify: VerifyNotification, Parse: ParseNotifications, Register: opts.Subscribe},
		Bind:      bind,
	}
}

// Validate checks a connector's config and, when given, its secret. Errors are sspm.CodeInvalid and name the
// field; they never contain the secret.
func (o Options) Validate(config json.RawMessage, secret []byte) error {
	s, err := parseConfig(config, o.AllowLoopback)
	if err != nil {
		return err
	}
	if secret != nil {
		return checkSecret(s.Auth, secret)
	}
	return nil
}

// Stages of the full lane.
const (
	StageUsers  = "users"
	StageGroups = "groups"
	StageApps   = "apps"
	StageRoles  = "roles"
	StageGrants = "grants"
	StageMFA    = "mfa"
)

// A step reads pages until it holds about stepRows rows or has made stepRequests requests.
const (
	stepRows     = 5000
	stepRequests = 50
)

// Source reads one tenant. It keeps what it learned in this invocation (the admins, the parent page being
// walked) to save requests, and rebuilds it from Graph when it resumes someone else's cursor. It is not safe for
// concurrent use.
type Source struct {
	c          *client
	opts       Options
	conn       sspm.Connector
	connector  string
	fullResync time.Duration
	mem        memory
	limits     stepLimits
}

// stepLimits bound a step (tests use smaller ones).
type stepLimits struct{ rows, requests int }

// NewSource builds the source of a connector from its config and secret.
func (o Options) NewSource(_ context.Context, c sspm.Connector, secret []byte) (*Source, error) {
	s, err := parseConfig(c.Config, o.AllowLoopback)
	if err != nil {
		return nil, err
	}
	if o.Credential == nil {
		if len(secret) == 0 {
			return nil, sspm.Errorf(sspm.CodeInvalid, "entra connector %s has no secret", c.ID)
		}
		if err := checkSecret(s.Auth, secret); err != nil {
			return nil, err
		}
	}
	cl, err := newClient(s, secret, o)
	if err != nil {
		return nil, err
	}
	return &Source{c: cl, opts: o, conn: c, connector: c.ID, fullResync: s.fullResync, mem: newMemory(),
		limits: stepLimits{stepRows, stepRequests}}, nil
}

// Stages lists the stages of a lane.
func (s *Source) Stages(lane sspm.Lane) []string {
	switch lane {
	case sspm.LaneFull:
		return []string{StageRoles, StageUsers, StageGroups, StageApps, StageGrants, StageMFA, StageSubscriptions}
	case sspm.LaneDiscovery:
		return []string{StageEvidence}
	}
	return nil
}

// Step reads the next page of a stage.
func (s *Source) Step(ctx context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	if ctx.Err() != nil {
		return sspm.StepResult{}, ctx.Err()
	}
	var res sspm.StepResult
	var err error
	switch {
	case lane == sspm.LaneFull && stage == StageUsers:
		res, err = s.usersStep(ctx, cursor)
	case lane == sspm.LaneFull && stage == StageGroups:
		res, err = s.groupsStep(ctx, cursor)
	case lane == sspm.LaneFull && stage == StageApps:
		res, err = s.appsStep(ctx, cursor)
	case lane == sspm.LaneFull && stage == StageRoles:
		res, err = s.rolesStep(ctx, cursor)
	case lane == sspm.LaneFull && stage == StageGrants:
		res, err = s.grantsStep(ctx, cursor)
	case lane == sspm.LaneFull && stage == StageMFA:
		res, err = s.mfaStep(ctx, cursor)
	case lane == sspm.LaneFull && stage == StageSubscriptions:
		res, err = s.subscriptionsStep(ctx, cursor)
	case lane == sspm.LaneDiscovery && stage == StageEvidence:
		res, err = s.evidenceStep(ctx, cursor)
	default:
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "entra: no stage %q in lane %s", stage, lane)
	}
	waited := s.c.waitMessage()
	if err != nil {
		return sspm.StepResult{}, err
	}
	res.Message = joinMessages(waited, res.Message)
	return res, nil
}

func joinMessages(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// stepper counts a step's work against its limits.
type stepper struct{ requests, maxRows, maxRequests int }

func (s *Source) stepper() stepper {
	return stepper{maxRows: s.limits.rows, maxRequests: s.limits.requests}
}

func (st *stepper) full(rows int) bool { return rows >= st.maxRows || st.requests >= st.maxRequests }
