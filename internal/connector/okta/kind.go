// Package okta is the Okta connector: okta-sdk-golang v5 against an Okta org (or the provider simulator in demo
// mode), turned into Open-SSPM's inventory, posture datasets, discovery evidence and events.
//
//   - Full lane, in stages: users, groups (with members), apps (with group and user assignments), roles (admin
//     role grants on the org), datasets (what the CIS Okta ruleset reads), factors (per-user MFA reads within a
//     request budget per run, continuing across runs).
//   - Discovery lane: SSO and OAuth-consent evidence from the System Log since the previous run.
//   - Tail: the System Log as canonical events (stream "system_log").
//   - Push: Okta event hooks, verified and parsed with the same event mapping as the tail.
//   - Refresh: targeted re-reads of the users, groups and apps events touched.
//
// Every step reads one page (or a few small ones) and returns a cursor that holds everything needed to continue,
// so a new Source resumes a run after a crash or at the invocation's time budget. Rate limits are paced to the
// configured share of each bucket (see client.go).
package okta

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/readahead"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Options are what the composition root decides for every Okta connector.
type Options struct {
	// AllowLoopback lets org URLs (and event hook URLs) point at a loopback address over http: demo mode with the
	// provider simulator only.
	AllowLoopback bool
	// Outbound is the policy of calls to the org (which addresses may be reached, timeouts); nil means
	// outbound.Strict(), public addresses only. Demo mode allows the simulator's address.
	Outbound *outbound.Policy
	// HTTPClient, when set, supplies the base transport instead of Outbound's (tests that inject faults or
	// record requests); requests still go only to the org and redirects to another host are still refused.
	// Its Timeout and redirect policy are not used.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits (rate limits, retries); nil means a timer. Tests pass one that advances a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// NoReadAhead turns off reading the next page while the runner stores the current one (for tests that
	// inspect the provider between steps).
	NoReadAhead bool
}

// policy returns Outbound, or the strict policy.
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

// NewKind describes the Okta connector kind for the registry.
func NewKind(opts Options) connector.Kind {
	unbound := opts // Bind starts from the options as given, before the strict default below
	bind := func(d connector.Deps) connector.Kind {
		o := unbound
		if o.Outbound == nil {
			o.Outbound = d.Outbound
		}
		return NewKind(o)
	}
	if opts.Outbound == nil {
		opts.Outbound = outbound.Strict() // one connection pool for the kind's sources until bound
	}
	return connector.Kind{
		Kind:          sspm.KindOkta,
		Authoritative: true,
		ConfigSchema:  json.RawMessage(ConfigSchema),
		Scopes:        DefaultScopes,
		Endpoint:      connector.Endpoint{Field: "org_url"},
		Validate:      opts.Validate,
		NewSource: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Discovery: true, // SSO sign-ins and OAuth consents in the System Log
		NewStreams: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.StreamSource, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Push: &connector.Push{Verify: VerifyHook, Parse: ParseHook, Register: opts.RegisterHook},
		Bind: bind,
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

// Lanes' stages.
const (
	StageUsers    = "users"
	StageGroups   = "groups"
	StageApps     = "apps"
	StageRoles    = "roles"
	StageDatasets = "datasets"
	StageFactors  = "factors"
	StageEvidence = "evidence"
	// StreamSystemLog is the tail's stream.
	StreamSystemLog = "system_log"
)

// A step reads pages until it holds about stepRows rows or has made stepRequests requests, so that small pages
// (a group's hundred members) do not each cost a transaction.
const (
	stepRows     = 2000
	stepRequests = 100
)

// Source reads one Okta org. It keeps what it learned in this invocation (admin users, group memberships, the
// page being walked) to save requests, and rebuilds it from the API when it resumes someone else's cursor.
// It is not safe for concurrent use.
type Source struct {
	c            *client
	opts         Options
	factorBudget int
	mem          memory
	limits       stepLimits
	// ahead reads the next page of the users, groups or apps stage while the runner stores the current one:
	// storing a page of group members takes about as long as reading it.
	ahead *readahead.Reader
}

// NewSource builds the source of a connector from its config and secret.
func (o Options) NewSource(_ context.Context, c sspm.Connector, secret []byte) (*Source, error) {
	return o.newSource(c, secret, nil)
}

func (o Options) newSource(c sspm.Connector, secret []byte, extraScopes []string) (*Source, error) {
	s, err := parseConfig(c.Config, o.AllowLoopback)
	if err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		return nil, sspm.Errorf(sspm.CodeInvalid, "okta connector %s has no secret", c.ID)
	}
	if err := checkSecret(s.Auth, secret); err != nil {
		return nil, err
	}
	scopes := append(append([]string(nil), s.scopes...), extraScopes...)
	cl, err := newClient(s, secret, o, scopes)
	if err != nil {
		return nil, err
	}
	src := &Source{c: cl, opts: o, factorBudget: s.factorBudget, mem: newMemory(), limits: stepLimits{stepRows, stepRequests}}
	src.ahead = readahead.New(src.step, o.NoReadAhead, StageUsers, StageGroups, StageApps)
	return src, nil
}

// Stages lists the stages of a lane.
func (s *Source) Stages(lane sspm.Lane) []string {
	switch lane {
	case sspm.LaneFull:
		return []string{StageUsers, StageGroups, StageApps, StageRoles, StageDatasets, StageFactors}
	case sspm.LaneDiscovery:
		return []string{StageEvidence}
	}
	return nil
}

// Step reads the next page of a stage. While the runner stores a page of the users, groups or apps stage, the
// next page of the same stage is read ahead (package readahead).
func (s *Source) Step(ctx context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	return s.ahead.Step(ctx, lane, stage, cursor)
}

func (s *Source) step(ctx context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
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
	case lane == sspm.LaneFull && stage == StageDatasets:
		res, err = s.datasetsStep(ctx, cursor)
	case lane == sspm.LaneFull && stage == StageFactors:
		res, err = s.factorsStep(ctx, cursor)
	case lane == sspm.LaneDiscovery && stage == StageEvidence:
		res, err = s.evidenceStep(ctx, cursor)
	default:
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "okta: no stage %q in lane %s", stage, lane)
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

// stepLimits bound a step (stepRows, stepRequests; tests use smaller ones).
type stepLimits struct{ rows, requests int }

// wrapf reports data from Okta that cannot be mapped (an object without id): the step fails rather than store it.
func wrapf(op string, err error) error {
	return &sspm.Error{Code: sspm.CodeUnavailable, Message: "okta " + op, Err: err}
}
