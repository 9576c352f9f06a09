// Package datadog is the Datadog connector: datadog-api-client-go v2 against one Datadog organization (or the
// provider simulator in demo mode), turned into Open-SSPM's inventory and events. Datadog is an app source, not
// an identity provider: its accounts are linked to people by email, and its service accounts never are.
//
//   - Full lane, in stages: roles (the permission catalogue and every role with its permissions; a role's admin
//     grade comes from its permissions, not only its name), users (service accounts included, with their role
//     memberships), API keys and application keys (metadata only: never a key's value) as credentials.
//   - Tail: the Audit Trail (stream "audit"), with a cursor, a five-minute overlap and de-duplication by event id,
//     mapped to canonical categories (iam.role.grant, credential.create, ...) for the event policies.
//
// Every step reads one page and returns a cursor that holds everything needed to continue, so a new Source
// resumes a run after a crash or at the invocation's time budget. Rate limits are paced to the configured share
// of each X-RateLimit-Name bucket (client.go).
//
// The SDK is linked only into binaries that import this package (internal/kinds): functions that never call a
// provider do not.
package datadog

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Options are what the composition root decides for every Datadog connector.
type Options struct {
	// AllowLoopback lets the site be a loopback http(s) address: demo mode with the provider simulator only.
	AllowLoopback bool
	// Outbound is the policy of calls to the site (which addresses may be reached, timeouts); nil means
	// outbound.Strict(), public addresses only.
	Outbound *outbound.Policy
	// HTTPClient, when set, supplies the base transport instead of Outbound's (tests that record requests);
	// requests still go only to the site's API origin.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits (rate limits, retries); nil means a timer. Tests pass one that advances a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// PageSize is the page size of the listings (1-100); 0 means 100, the documented maximum. Tests use small
	// pages so that every stage takes several.
	PageSize int
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

func (o Options) pageSize() int {
	if o.PageSize <= 0 || o.PageSize > maxPageSize {
		return maxPageSize
	}
	return o.PageSize
}

// maxPageSize is the documented maximum page[size] of the users, roles and key listings.
const maxPageSize = 100

// NewKind describes the Datadog connector kind for the registry.
func NewKind(opts Options) connector.Kind {
	unbound := opts
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
		Kind:         sspm.KindDatadog,
		ConfigSchema: json.RawMessage(ConfigSchema),
		Scopes:       Scopes,
		Endpoint:     connector.Endpoint{Field: "site"},
		Validate:     opts.Validate,
		NewSource: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			return opts.NewSource(ctx, c, secret)
		},
		NewStreams: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.StreamSource, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Bind: bind,
	}
}

// Validate checks a connector's config and, when given, its secret. Errors are sspm.CodeInvalid and name the
// field; they never contain a key.
func (o Options) Validate(config json.RawMessage, secret []byte) error {
	if _, err := parseConfig(config, o.AllowLoopback); err != nil {
		return err
	}
	if secret != nil {
		_, err := parseSecret(secret)
		return err
	}
	return nil
}

// Lanes' stages and the tail's stream.
const (
	StageRoles   = "roles"
	StageUsers   = "users"
	StageAPIKeys = "api_keys"
	StageAppKeys = "application_keys"
	// StreamAudit is the tail's stream: the Audit Trail.
	StreamAudit = "audit"
)

// OrgResourceID is the resource roles are granted on: the Datadog organization.
const OrgResourceID = "datadog-org"

// Credential kinds.
const (
	CredentialAPIKey = "datadog_api_key"
	CredentialAppKey = "datadog_application_key"
)

// Source reads one Datadog organization. It keeps the roles it learned in this invocation (their admin grades
// decide the users' admin flags) and reads them again when it resumes someone else's cursor. It is not safe for
// concurrent use.
type Source struct {
	c        *client
	opts     Options
	pageSize int
	roles    *roleSet // nil until loaded
	// rolesTried says the tail read the roles once already.
	rolesTried bool
	// handles maps the handles the tail's role events named to user ids ("" when not found).
	handles map[string]string
}

// NewSource builds the source of a connector from its config and secret.
func (o Options) NewSource(_ context.Context, c sspm.Connector, secret []byte) (*Source, error) {
	s, err := parseConfig(c.Config, o.AllowLoopback)
	if err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		return nil, sspm.Errorf(sspm.CodeInvalid, "datadog connector %s has no secret", c.ID)
	}
	sec, err := parseSecret(secret)
	if err != nil {
		return nil, err
	}
	return &Source{c: newClient(s, sec, o), opts: o, pageSize: o.pageSize()}, nil
}

// Stages lists the stages of a lane.
func (s *Source) Stages(lane sspm.Lane) []string {
	if lane == sspm.LaneFull {
		return []string{StageRoles, StageUsers, StageAPIKeys, StageAppKeys}
	}
	return nil
}

// Step reads the next page of a stage.
func (s *Source) Step(ctx context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	if ctx.Err() != nil {
		return sspm.StepResult{}, ctx.Err()
	}
	var cur pageCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	var err error
	switch {
	case lane == sspm.LaneFull && stage == StageRoles:
		res, err = s.rolesStep(ctx, cur)
	case lane == sspm.LaneFull && stage == StageUsers:
		res, err = s.usersStep(ctx, cur)
	case lane == sspm.LaneFull && stage == StageAPIKeys:
		res, err = s.apiKeysStep(ctx, cur)
	case lane == sspm.LaneFull && stage == StageAppKeys:
		res, err = s.appKeysStep(ctx, cur)
	default:
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "datadog: no stage %q in lane %s", stage, lane)
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
