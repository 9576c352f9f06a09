package githubsim

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// DefaultToken is the token accepted when Options.Tokens is nil.
const DefaultToken = "ghp_simulatortoken"

// DefaultOrg is the organization's login when Options.Org is empty.
const DefaultOrg = "acme-sim"

// Options configure a simulated organization. The zero value serves the company over plain http with
// DefaultToken, no rate limit and no faults.
type Options struct {
	// Org is the organization's login; default DefaultOrg.
	Org string
	// Tokens are accepted as "Authorization: Bearer <token>" or "token <token>"; nil means {DefaultToken}.
	Tokens []string
	// Clock returns the current time for rate-limit windows; nil means time.Now.
	Clock func() time.Time
	// RateLimit is the primary budget per hour; 0 means unlimited (headers still report 5000).
	RateLimit int
	// Forbidden lists route patterns the token may not read ("GET /orgs/{org}/installations"); they answer
	// 403 "Resource not accessible by personal access token".
	Forbidden []string
	// TokensListPATs lets a token (not only a GitHub App installation token) list the fine-grained PATs and
	// their requests. GitHub does not: those listings accept GitHub App tokens only and answer a token 403, as
	// the simulator does without this; it serves rigs that use token auth to exercise those listings.
	TokensListPATs bool
	// NotOwner serves a token that is not an organization owner's (or a classic PAT without admin:org): GET
	// /orgs/{org} answers without the fields GitHub shows only to owners, among them
	// default_repository_permission (the base permission). GitHub App installation tokens still see them.
	NotOwner bool
	// NoSAML answers the external-identities query with samlIdentityProvider null (no SAML SSO configured).
	NoSAML bool
	// NoAuditLog answers the audit log with 404, as GitHub does for an organization without Enterprise Cloud. (A
	// token without read:audit_log: list "GET /orgs/{org}/audit-log" in Forbidden.)
	NoAuditLog bool
	// Faults are installed at start; see AddFault.
	Faults []Fault
	// TLS serves https with httptest's certificate.
	TLS bool
	// HookClient sends webhook deliveries; nil means a client with GitHub's 10-second timeout.
	HookClient *http.Client
	// Members, Teams and Repos cap the organization's size (benchmarks): at most that many members (outside
	// collaborators stay), teams, and exactly Repos repositories; 0 keeps what the company yields (repositories:
	// two per team, at least 8).
	Members, Teams, Repos int
	// Apps are the GitHub Apps whose JWTs POST /app/installations/{id}/access_tokens accepts; the installation
	// tokens it mints authorize the API until they expire (TokenTTL on the server's clock).
	Apps []App
	// Run tells one start of the organization from another of the same company: audit log entries' document ids
	// carry it (webhook deliveries have random GUIDs), so a restarted organization's new entries are not taken
	// for an earlier start's. 0 leaves it out.
	Run int64
}

// Server is a simulated GitHub organization. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	clock  func() time.Time
	mux    *http.ServeMux
	ln     simhttp.Listener
	faults faultSet
	stats  statsRecorder
	limit  limiter
	apps   appTokens

	mu  sync.RWMutex // guards org
	org *org
}

// New builds the organization for the company and serves it on a loopback httptest server. Close it when done.
func New(c *providersim.Company, opts Options) *Server {
	s := NewHandler(c, opts)
	s.ln.Start(s.mux, opts.TLS)
	return s
}

// NewHandler builds the organization without a listener: mount Handler elsewhere.
func NewHandler(c *providersim.Company, opts Options) *Server {
	if opts.Org == "" {
		opts.Org = DefaultOrg
	}
	if opts.Tokens == nil {
		opts.Tokens = []string{DefaultToken}
	}
	s := &Server{opts: opts, clock: opts.Clock}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.limit.budget = opts.RateLimit
	for _, f := range opts.Faults {
		s.faults.add(f)
	}
	s.org = buildOrg(c, opts)
	s.buildAuditLog()
	s.mux = http.NewServeMux()
	s.routes()
	s.appRoutes()
	return s
}

// URL is the server's base URL (no trailing slash); go-github wants URL()+"/".
func (s *Server) URL() string {
	return s.ln.URL()
}

// Client returns an http.Client that trusts the server (its TLS certificate when TLS is on).
func (s *Server) Client() *http.Client {
	return s.ln.Client(http.DefaultClient)
}

// Handler serves the API.
func (s *Server) Handler() http.Handler { return s.mux }

// Close stops the listener.
func (s *Server) Close() { s.ln.Close() }

// Org is the organization's login.
func (s *Server) Org() string { return s.opts.Org }

// Members returns the logins of the organization's members, in id order.
func (s *Server) Members() []string { return s.logins(false) }

// OutsideCollaborators returns the logins of the outside collaborators.
func (s *Server) OutsideCollaborators() []string { return s.logins(true) }

func (s *Server) logins(outside bool) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, u := range s.org.users {
		if u.Outside == outside {
			out = append(out, u.Login)
		}
	}
	return out
}

// Teams returns the team slugs; Repos the repository names.
func (s *Server) Teams() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.org.teams))
	for i, t := range s.org.teams {
		out[i] = t.Slug
	}
	return out
}

// Repos returns the repository names.
func (s *Server) Repos() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.org.repos))
	for i, r := range s.org.repos {
		out[i] = r.Name
	}
	return out
}

// Collaborators returns the direct collaborators of a repository.
func (s *Server) Collaborators(repoName string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	if r := s.org.repo(repoName); r != nil {
		for _, c := range r.Collabs {
			out = append(out, c.Login)
		}
	}
	return out
}

// HasEmail reports whether any source of the login's email holds one: a SAML or SCIM identity, a
// verified-domain email or the public profile.
func (s *Server) HasEmail(login string) bool { return s.ResolvedEmail(login) != "" }

// ResolvedEmail is the email a connector finds for the login by the order docs/connectors/github.md#what-it-reads gives: the SAML nameId
// when it is an address, the SCIM email, the first verified-domain email, the public profile email; "" when
// none.
func (s *Server) ResolvedEmail(login string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.org.user(login)
	if u == nil {
		return ""
	}
	for _, e := range append([]string{u.NameID, u.SCIMEmail}, append(u.VerifiedEmails, u.PublicEmail)...) {
		if strings.Contains(e, "@") {
			return strings.ToLower(e)
		}
	}
	return ""
}

// EmailSource names where the login's email comes from: "saml", "scim", "verified_domain", "public" or "".
func (s *Server) EmailSource(login string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.org.user(login)
	switch {
	case u == nil:
		return ""
	case strings.Contains(u.NameID, "@"):
		return "saml"
	case u.SCIMEmail != "":
		return "scim"
	case len(u.VerifiedEmails) > 0:
		return "verified_domain"
	case u.PublicEmail != "":
		return "public"
	}
	return ""
}

// TeamMembers returns the logins of a team's members: its own (immediate) members, or with the members of its
// child teams at any depth as well (what the REST team members listing answers).
func (s *Server) TeamMembers(slug string, withChildTeams bool) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.org.team(slug)
	if t == nil {
		return nil
	}
	membership := membershipImmediate
	if withChildTeams {
		membership = membershipAll
	}
	var out []string
	for _, m := range s.org.teamMembers(t, membership) {
		out = append(out, m.Login)
	}
	return out
}

// SetNotOwner changes Options.NotOwner: as if the connector's token were replaced by a non-owner's.
func (s *Server) SetNotOwner(notOwner bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.NotOwner = notOwner
}
