// Package github is the GitHub connector: go-github v62 against a GitHub organization (GitHub.com, GitHub
// Enterprise Server, or the provider simulator in demo mode), turned into Open-SSPM's inventory and events.
//
//   - Full lane, in stages: members (org role; emails from SAML, then SCIM identities, then verified-domain
//     emails, then the public profile email, never invented; every member also in the synthetic group
//     "org_members:{org id}"), outside_collaborators, teams (teams → groups, nesting, immediate members with
//     their team role from GraphQL, team → repository grants), repos (repositories → resources, direct
//     collaborators → grants with their role_name, Via "effective" for members and "direct" for outside
//     collaborators, the org base permission → one grant per repository from the org members group, Via
//     "org_base", deploy keys → credential metadata), installations (App installations → credential metadata), pats and pat_requests
//     (fine-grained PATs granted access to the organization and pending requests → credential metadata).
//   - Auth: a token, or a GitHub App installation (RS256 App JWT exchanged for an installation token, renewed
//     five minutes before it expires).
//   - Push: organization webhooks verified by HMAC-SHA256 and parsed into canonical events; RefreshEvents
//     (sspm.EventRefresher) re-reads the users, teams and repositories they name.
//   - Tail: the organization audit log (stream "audit_log", auditlog.go) as canonical events.
//
// Every step reads one page of its stage's listing (and what hangs off the items of that page) and returns the
// next page number as the cursor, so a new Source resumes a run. A listing the credential may not read puts
// the rows it feeds, by scope (scopes.go), into the step's Unavailable list and the run goes on; a 5xx fails the
// step.
//
// Repeat syncs are cheap: with Options.Cache (the store, bound by the composition root through Kind.Bind), every
// listing is a conditional request and a 304 replays the stored page (httpcache.go), so a run of an unchanged
// organization spends only the GraphQL reads and the organization read of its rate limit.
package github

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Options are what the composition root decides for every GitHub connector.
type Options struct {
	// AllowLoopback lets base_url point at a loopback address over http: demo mode with the simulator only.
	AllowLoopback bool
	// Outbound is the policy of calls to the API (which addresses may be reached, timeouts); nil means
	// outbound.Strict(), public addresses only. Demo mode allows the simulator's address; a GitHub Enterprise
	// Server inside a VPC needs its network in OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS.
	Outbound *outbound.Policy
	// HTTPClient, when set, supplies the base transport instead of Outbound's (tests that record requests);
	// requests still go only to base_url's host and redirects to another host are still refused.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits (rate limits); nil means a timer. Tests pass one that advances a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// PerPage overrides the page size of every listing (tests); 0 means 100.
	PerPage int
	// Cache stores listing answers for conditional requests; nil sends every request unconditionally. NewKind's
	// Bind sets it to the store the composition root opened.
	Cache connector.HTTPCache
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

// NewKind describes the GitHub connector kind for the registry.
func NewKind(opts Options) connector.Kind {
	unbound := opts
	if opts.Outbound == nil {
		opts.Outbound = outbound.Strict() // one connection pool for the kind's sources until bound
	}
	return connector.Kind{
		Kind:         sspm.KindGitHub,
		ConfigSchema: json.RawMessage(ConfigSchema),
		Scopes:       Scopes,
		Endpoint:     connector.Endpoint{Field: "base_url", Default: DefaultBaseURL},
		Validate:     opts.Validate,
		NewSource: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			return opts.NewSource(ctx, c, secret)
		},
		NewStreams: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.StreamSource, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Push: &connector.Push{Verify: VerifyHook, Parse: opts.ParseHook},
		Bind: func(d connector.Deps) connector.Kind {
			o := unbound
			if o.Cache == nil {
				o.Cache = d.HTTPCache
			}
			if o.Outbound == nil {
				o.Outbound = d.Outbound
			}
			return NewKind(o)
		},
	}
}

// Validate checks a connector's config and, when given, its secret; errors are sspm.CodeInvalid and never
// contain the secret.
func (o Options) Validate(config json.RawMessage, secret []byte) error {
	s, err := parseConfig(config, o)
	if err != nil {
		return err
	}
	if secret != nil {
		return checkSecret(s.Auth, secret)
	}
	return nil
}

// Full lane stages.
const (
	StageMembers       = "members"
	StageOutside       = "outside_collaborators"
	StageTeams         = "teams"
	StageRepos         = "repos"
	StageInstallations = "installations"
	StagePATs          = "pats"
	StagePATRequests   = "pat_requests"
)

// Source reads one GitHub organization. It remembers the org's admins and resolved emails for the members
// stage (read again when a new Source resumes). It is not safe for concurrent use.
type Source struct {
	c       *client
	perPage int
	org     *gh.Organization  // nil until read
	admins  map[string]bool   // login → org owner; nil until read
	emails  map[string]string // lower-case login → email ("" when resolved to none); nil until read
	// emailNote says why emails could not be resolved, for the run's progress; profileNoted that the note about
	// verified-domain and public emails was given.
	emailNote    string
	profileNoted bool
	// mu guards outside, read by the repositories' concurrent collaborator listings.
	mu          sync.Mutex
	outside     func(id int64) bool // tells outside collaborators; nil until read
	outsideSeen map[int64]bool      // outside collaborators of the outside stage's pages so far, from its first
}

// NewSource builds the source of a connector from its config and secret.
func (o Options) NewSource(_ context.Context, c sspm.Connector, secret []byte) (*Source, error) {
	s, err := parseConfig(c.Config, o)
	if err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		return nil, sspm.Errorf(sspm.CodeInvalid, "github connector %s has no secret", c.ID)
	}
	if err := checkSecret(s.Auth, secret); err != nil {
		return nil, err
	}
	cl, err := newClient(s, secret, o, c.ID)
	if err != nil {
		return nil, err
	}
	per := o.PerPage
	if per <= 0 || per > 100 {
		per = 100
	}
	return &Source{c: cl, perPage: per}, nil
}

// Stages lists the stages of a lane; GitHub has no discovery lane.
func (s *Source) Stages(lane sspm.Lane) []string {
	if lane == sspm.LaneFull {
		return []string{StageMembers, StageOutside, StageTeams, StageRepos, StageInstallations, StagePATs, StagePATRequests}
	}
	return nil
}

// Step reads the next page of a stage.
func (s *Source) Step(ctx context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	if lane != sspm.LaneFull {
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "github: no lane %s", lane)
	}
	page, err := parseCursor(cursor)
	if err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	switch stage {
	case StageMembers:
		res, err = s.membersStep(ctx, page)
	case StageOutside:
		res, err = s.outsideStep(ctx, page)
	case StageTeams:
		res, err = s.teamsStep(ctx, page)
	case StageRepos:
		res, err = s.reposStep(ctx, page)
	case StageInstallations:
		res, err = s.installationsStep(ctx, page)
	case StagePATs:
		res, err = s.patsStep(ctx, page, false)
	case StagePATRequests:
		res, err = s.patsStep(ctx, page, true)
	default:
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "github: no stage %q", stage)
	}
	if err != nil {
		return sspm.StepResult{}, err
	}
	if stage == StagePATRequests && res.Next == "" { // the run's last page: drop the answers it did not use
		if _, err := s.c.cache.evict(ctx); err != nil {
			res.Message = join(res.Message, "response cache: eviction failed")
		}
	}
	res.Message = join(s.c.waitMessage(), res.Message)
	return res, nil
}

// CacheStats reports what the response cache did for this source (zero without Options.Cache).
func (s *Source) CacheStats() CacheStats { return s.c.cache.stats() }

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
