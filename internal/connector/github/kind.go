// Package github is the GitHub connector: go-github v62 against a GitHub organization (GitHub.com, GitHub
// Enterprise Server, or the provider simulator in demo mode), turned into Open-SSPM's inventory and events.
//
//   - Full lane, in stages: members (org role; emails from SAML then SCIM identities, never invented; every member
//     also in the synthetic group "org_members:{org id}"), outside_collaborators, teams (teams → groups, nesting,
//     members with their team role, team → repository grants), repos (repositories → resources, direct
//     collaborators → grants, the org base permission → one grant per repository from the org members group,
//     Via "org_base", deploy keys → credential metadata), installations (App installations → credential
//     metadata), pats and pat_requests (fine-grained PATs granted access to the organization and pending
//     requests → credential metadata).
//   - Auth: a token, or a GitHub App installation (RS256 App JWT exchanged for an installation token, renewed
//     five minutes before it expires).
//   - Push: organization webhooks verified by HMAC-SHA256 and parsed into canonical events; RefreshEvents
//     (sspm.EventRefresher) re-reads the users, teams and repositories they name.
//
// Every step reads one page of its stage's listing (and what hangs off the items of that page) and returns the
// next page number as the cursor, so a new Source resumes a run. An endpoint the credential may not read puts
// the entities it feeds into the step's Unavailable list; a 5xx fails the step.
//
// Not done:
//   - Conditional requests (ETags). The simulator answers 304 to If-None-Match, but the connector sends none: a run
//     must emit every row it wants kept (the sweep expires what a run did not see), and a 304 carries no body, so
//     a page could only be skipped if its rows were re-derivable without the provider. The connector has no
//     store; a stage Watermark is one string per stage, and holding the rows (or the bodies) of every page of
//     5,000 members / 5,000 repositories there is not "compact". Member rows also depend on the emails (GraphQL,
//     POST, never conditional) and owners. Doing it properly needs a per-connector page cache in the store
//     (key: request URL; value: ETag + the page's decoded items), which belongs to the lane/postgres owners.
//   - Verified-domain emails (the third source of the email order) and the public profile email.
//   - The audit log.
package github

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Options are what the composition root decides for every GitHub connector.
type Options struct {
	// AllowLoopback lets base_url point at a loopback address over http: demo mode with the simulator only.
	AllowLoopback bool
	// HTTPClient supplies the base transport (tests, demo); nil means http.DefaultTransport.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits (rate limits); nil means a timer. Tests pass one that advances a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// PerPage overrides the page size of every listing (tests); 0 means 100.
	PerPage int
}

func (o Options) now() time.Time { return connector.Now(o.Now) }

func (o Options) sleep(ctx context.Context, d time.Duration) error {
	return connector.Sleep(ctx, d, o.Sleep)
}

// NewKind describes the GitHub connector kind for the registry.
func NewKind(opts Options) connector.Kind {
	return connector.Kind{
		Kind:         sspm.KindGitHub,
		ConfigSchema: json.RawMessage(ConfigSchema),
		Scopes:       Scopes,
		Validate:     opts.Validate,
		NewSource: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Push: &connector.Push{Verify: VerifyHook, Parse: opts.ParseHook},
	}
}

// Validate checks a connector's config and, when given, its secret; errors are sspm.CodeInvalid and never
// contain the secret.
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
	emails  map[string]string // login → email; nil until read
	// emailNote says why emails could not be resolved, for the run's progress.
	emailNote string
}

// NewSource builds the source of a connector from its config and secret.
func (o Options) NewSource(_ context.Context, c sspm.Connector, secret []byte) (*Source, error) {
	s, err := parseConfig(c.Config, o.AllowLoopback)
	if err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		return nil, sspm.Errorf(sspm.CodeInvalid, "github connector %s has no secret", c.ID)
	}
	if err := checkSecret(s.Auth, secret); err != nil {
		return nil, err
	}
	cl, err := newClient(s, secret, o)
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
	res.Message = join(s.c.waitMessage(), res.Message)
	return res, nil
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
