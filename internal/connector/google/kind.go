// Package google is the Google Workspace connector: the Admin SDK Directory and Reports APIs
// (google.golang.org/api admin/directory/v1 and admin/reports/v1) through a service account with domain-wide
// delegation (golang.org/x/oauth2/jwt; the key file is the connector's secret), turned into Open-SSPM's
// inventory, discovery evidence and events.
//
//   - Full lane, in stages: users (accounts), groups (with their direct members and roles; nested groups are
//     members of kind group, which the store expands), roles (admin roles as resources, role assignments as
//     grants to users and groups), tokens (each user's third-party OAuth grants as credentials, the clients as
//     resources, within token_budget requests per run; the next run continues where this one stopped). Users
//     deleted in the last ~20 days (showDeleted) are kept as deprovisioned accounts until Google purges them.
//   - Discovery lane: Reports token (authorize) and saml (login_success) activities as evidence of third-party
//     apps, keyed by client id or app name.
//   - Tail: Reports activities of login, token, admin and saml as canonical events, one stream each, read from a
//     (time, uniqueQualifier) cursor with an overlap for Google's reporting lag; and, when Options.Hook is set,
//     the stream channels, which renews the Reports push channels before they expire (channels.go).
//   - Push: Reports activities.watch channel notifications (RegisterPush, VerifyPush, ParsePush), mapped as the
//     tail maps them, so an activity is stored once whichever way it came; a pushed or tailed token authorize or
//     revoke re-reads the user's tokens (RefreshEvents), a revoked grant expiring at once.
//
// Authentication: the service account's JSON key as the secret (signing key), or keyless (signing iam): a caller
// credential configuration as the secret, the assertions signed by the IAM Credentials API (iam.go).
//
// Every step reads one page (or the members of one page of groups) and returns a cursor holding what is needed to
// continue, so a new Source resumes a run after a crash. Requests are paced below the Admin SDK's default quota,
// and quota answers (429, 503, 403 userRateLimitExceeded/rateLimitExceeded/quotaExceeded) are retried after
// Retry-After or with exponential backoff; a wait beyond the step's budget pauses the run.
package google

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

// Options are what the composition root decides for every Google connector.
type Options struct {
	// AllowLoopback lets the token and API URLs point at a loopback address over http: demo mode with the
	// simulator only.
	AllowLoopback bool
	// Outbound is the policy of calls to Google; nil means outbound.Strict().
	Outbound *outbound.Policy
	// HTTPClient, when set, supplies the base transport instead of Outbound's (tests); requests still go only to
	// the configured hosts.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits (quota, retries); nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Hook, when set, returns a connector's push hook URL and webhook secret (a sspm.CodeNotFound error when it
	// takes no push), and the tail gets the stream channels, which renews the Reports push channels
	// (channels.go). Without it channels are renewed only by registering again. NewKind's Bind sets it from
	// connector.Deps.Hooks when it is nil.
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

// NewKind describes the Google Workspace connector kind for the registry.
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
		Kind: sspm.KindGoogle,
		// Not authoritative by default: where Okta or Entra is the identity provider of record, Workspace users link
		// to its people by primary email or alias, and "needs anchor" lists those matching no person. An operator
		// whose identity provider is Workspace marks the connector authoritative.
		Authoritative: false,
		ConfigSchema:  json.RawMessage(ConfigSchema),
		Scopes:        Scopes,
		Endpoint:      connector.Endpoint{Field: "api_url", Default: DefaultAPIURL},
		Validate:      opts.Validate,
		NewSource: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Discovery: true,
		NewStreams: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.StreamSource, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Push: &connector.Push{Verify: VerifyPush, Parse: ParsePush, Register: opts.RegisterPush},
		Bind: bind,
	}
}

// Validate checks a connector's config and, when given, its secret (a service account key file). Errors are
// sspm.CodeInvalid, name the field and never quote the key.
func (o Options) Validate(config json.RawMessage, secret []byte) error {
	s, err := parseConfig(config, o)
	if err != nil {
		return err
	}
	if secret != nil {
		if s.Signing == SigningIAM {
			_, err := callerHosts(secret, o)
			return err
		}
		_, _, err := parseKey(secret)
		return err
	}
	return nil
}

// Stages of the lanes and the tail's streams.
const (
	StageUsers    = "users"
	StageGroups   = "groups"
	StageRoles    = "roles"
	StageTokens   = "tokens"
	StageEvidence = "evidence"
)

// Source reads one Workspace domain. It is not safe for concurrent use.
type Source struct {
	c      *client
	conn   sspm.Connector
	opts   Options
	set    settings
	limits stepLimits
	roles  map[string]bool // role id → super admin role, learned this invocation
	// ahead reads the next page of the users, groups or tokens stage while the runner stores the current one:
	// the quota paces requests, so a sync that stops reading while it writes falls behind the floor the quota sets.
	ahead *readahead.Reader
}

// stepLimits bound a step: the tokens stage's requests per step and page sizes (tests use smaller ones).
type stepLimits struct {
	tokensPerStep int
	pageSize      int64
}

// NewSource builds the source of a connector from its config and secret.
func (o Options) NewSource(_ context.Context, c sspm.Connector, secret []byte) (*Source, error) {
	s, err := parseConfig(c.Config, o)
	if err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		return nil, sspm.Errorf(sspm.CodeInvalid, "google connector %s has no secret", c.ID)
	}
	var cl *client
	if s.Signing == SigningIAM {
		hosts, err := callerHosts(secret, o)
		if err != nil {
			return nil, err
		}
		cl, err = newClient(s, s.ServiceAccount, "", func(hc *http.Client) (asserter, error) { return newIAMSigner(s, secret, hc) },
			o, append(hosts, s.iamURL)...)
		if err != nil {
			return nil, err
		}
		return newSource(cl, o, s, c), nil
	}
	key, priv, err := parseKey(secret)
	if err != nil {
		return nil, err
	}
	cl, err = newClient(s, key.ClientEmail, key.ClientID, func(*http.Client) (asserter, error) {
		return keySigner{key: priv, kid: key.PrivateKeyID}, nil
	}, o)
	if err != nil {
		return nil, err
	}
	return newSource(cl, o, s, c), nil
}

func newSource(cl *client, o Options, s settings, c sspm.Connector) *Source {
	src := &Source{c: cl, conn: c, opts: o, set: s, limits: stepLimits{tokensPerStep: 100}}
	src.ahead = readahead.New(src.step, false, StageUsers, StageGroups, StageTokens)
	return src
}

// Stages lists the stages of a lane.
func (s *Source) Stages(lane sspm.Lane) []string {
	switch lane {
	case sspm.LaneFull:
		return []string{StageUsers, StageGroups, StageRoles, StageTokens}
	case sspm.LaneDiscovery:
		return []string{StageEvidence}
	}
	return nil
}

// Step reads the next page of a stage. While the runner stores a page of the users, groups or tokens stage, the
// next page is read ahead (readahead.go).
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
	case lane == sspm.LaneFull && stage == StageRoles:
		res, err = s.rolesStep(ctx, cursor)
	case lane == sspm.LaneFull && stage == StageTokens:
		res, err = s.tokensStep(ctx, cursor)
	case lane == sspm.LaneDiscovery && stage == StageEvidence:
		res, err = s.evidenceStep(ctx, cursor)
	default:
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "google: no stage %q in lane %s", stage, lane)
	}
	if err != nil {
		return sspm.StepResult{}, err
	}
	if w := s.c.retry.takeWaited(); w >= time.Second {
		res.Message = joinMessages("waited "+w.Round(time.Second).String()+" for the Google quota", res.Message)
	}
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

// decodeCursor reads a step cursor ("" is the zero value).
func decodeCursor(cursor string, v any) error {
	if cursor == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(cursor), v); err != nil {
		return sspm.Errorf(sspm.CodeInvalid, "google: a malformed cursor: %v", err)
	}
	return nil
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
