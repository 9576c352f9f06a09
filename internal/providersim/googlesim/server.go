package googlesim

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Defaults used when Options leaves them empty.
const (
	// DefaultToken is a static bearer token accepted when Options.Tokens is nil: it acts as the company's first
	// super admin with every scope.
	DefaultToken = "googlesim-static-token"
	// DefaultClientEmail is the service account of the key New generates when Options.ServiceAccounts is nil.
	DefaultClientEmail = "open-sspm@acme-sspm.iam.gserviceaccount.com"
	// DefaultClientID is that service account's OAuth client id (the id domain-wide delegation is granted to).
	DefaultClientID = "104857600000000000001"
	// tokenLifetime is how long issued access tokens live (expires_in 3599, as Google answers).
	tokenLifetime = 3599 * time.Second
)

// Scopes of the Admin SDK the simulator checks: a read-only scope and its read-write variant both satisfy a
// read.
const (
	ScopeUserReadonly         = "https://www.googleapis.com/auth/admin.directory.user.readonly"
	ScopeUser                 = "https://www.googleapis.com/auth/admin.directory.user"
	ScopeGroupReadonly        = "https://www.googleapis.com/auth/admin.directory.group.readonly"
	ScopeGroup                = "https://www.googleapis.com/auth/admin.directory.group"
	ScopeMemberReadonly       = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
	ScopeMember               = "https://www.googleapis.com/auth/admin.directory.group.member"
	ScopeRoleReadonly         = "https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly"
	ScopeRole                 = "https://www.googleapis.com/auth/admin.directory.rolemanagement"
	ScopeUserSecurity         = "https://www.googleapis.com/auth/admin.directory.user.security"
	ScopeReportsAuditReadonly = "https://www.googleapis.com/auth/admin.reports.audit.readonly"
)

// ReadScopes are the read-only scopes a connector is granted (tokens.list has no read-only scope).
var ReadScopes = []string{ScopeUserReadonly, ScopeGroupReadonly, ScopeMemberReadonly, ScopeRoleReadonly,
	ScopeUserSecurity, ScopeReportsAuditReadonly}

// ServiceAccount is a Google Cloud service account that may use the JWT bearer flow.
type ServiceAccount struct {
	ClientEmail string
	// ClientID is the service account's unique id, the id an admin authorises for domain-wide delegation.
	ClientID string
	// KeyID is the private_key_id of its key (the JWT header's kid).
	KeyID string
	// PublicKey verifies the assertions it signs.
	PublicKey *rsa.PublicKey
	// DelegatedScopes are the scopes authorised for it under domain-wide delegation (Admin console → Security →
	// API controls); nil means no delegation at all.
	DelegatedScopes []string
	// TokenCreator: as one of Options.Callers, it holds roles/iam.serviceAccountTokenCreator on the generated
	// service account (signJwt).
	TokenCreator bool
}

// Options configure a simulated Workspace domain. The zero value serves the company over plain http with one
// generated service account key (Server.KeyJSON) delegated ReadScopes, accepting DefaultToken, without quota or
// faults.
type Options struct {
	// ServiceAccounts may get tokens; nil means one generated key for DefaultClientEmail.
	ServiceAccounts []ServiceAccount
	// Callers are service accounts (without delegation) that may get tokens for themselves and call the IAM
	// Credentials signJwt endpoint for the generated service account: keyless signing.
	Callers []ServiceAccount
	// Tokens are static bearer tokens acting as the first super admin with every scope; nil means {DefaultToken}.
	Tokens []string
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// QueriesPerMinute is the per-minute quota of Admin SDK queries (Google's default: 2,400 per user per
	// project); 0 means unlimited. Beyond it Directory answers 403 userRateLimitExceeded and Reports 503.
	QueriesPerMinute int
	// Lag delays when activities of an application become visible in Reports (Google documents minutes to
	// days); an application not named has none.
	Lag map[string]time.Duration
	// PageCap caps every page below Google's maximum; 0 keeps Google's.
	PageCap int
	// Faults are installed at start; see AddFault.
	Faults []Fault
	// TLS serves https with httptest's certificate; Client trusts it.
	TLS bool
	// Run tells one start of the domain from another: page tokens and access tokens are keyed by it.
	Run int64
}

// Server is a simulated Google Workspace domain: the OAuth token endpoint, the Admin SDK Directory API and the
// Reports API. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	company  *providersim.Company
	clock    func() time.Time
	mux      *http.ServeMux
	ln       simhttp.Listener
	faults   simhttp.Faults[Fault]
	stats    simhttp.Recorder[Stats]
	key      []byte // MAC key of page tokens
	accounts []ServiceAccount
	keyJSON  []byte
	signKey  *rsa.PrivateKey // the generated service account's key, for signJwt
	quota    quota
	tokSeq   atomic.Int64
	pushMu   channels

	mu  sync.RWMutex // guards dir, log and issued
	dir *directory
	log *activityLog
	// issued are the access tokens the token endpoint gave out.
	issued map[string]grant
}

// Stats counts the requests the server answered.
type Stats struct {
	// Total counts API requests (not token requests).
	Total int
	// ByRoute counts API requests per route pattern ("/admin/directory/v1/users").
	ByRoute map[string]int
	// Tokens counts token endpoint requests.
	Tokens int
	// Throttled counts quota answers (403 userRateLimitExceeded or 503 from the quota).
	Throttled int
}

// New builds the domain for the company and serves it on a loopback httptest server. Close it when done.
func New(c *providersim.Company, opts Options) *Server {
	s := NewHandler(c, opts)
	s.ln.Start(s.mux, opts.TLS)
	return s
}

// NewHandler builds the domain without starting a listener: mount Handler elsewhere.
func NewHandler(c *providersim.Company, opts Options) *Server {
	s := &Server{opts: opts, company: c, clock: opts.Clock, issued: map[string]grant{}}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.key = macKey(c.Config.Seed, opts.Run)
	s.accounts = opts.ServiceAccounts
	if s.accounts == nil {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("googlesim: generate a service account key: " + err.Error())
		}
		sa := ServiceAccount{ClientEmail: DefaultClientEmail, ClientID: DefaultClientID, KeyID: "sim-key-1",
			PublicKey: &priv.PublicKey, DelegatedScopes: ReadScopes}
		s.accounts = []ServiceAccount{sa}
		s.keyJSON = KeyJSON(sa, priv, "")
		s.signKey = priv
	}
	s.accounts = append(s.accounts, opts.Callers...)
	for _, f := range opts.Faults {
		s.faults.Add(f)
	}
	s.quota.limit = opts.QueriesPerMinute
	s.dir = buildDirectory(c)
	s.log = buildActivities(c, s.dir)
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// URL returns the server's base URL; the APIs are under URL()+"/admin/", the token endpoint is URL()+"/token".
func (s *Server) URL() string { return s.ln.URL() }

// TokenURL is the token endpoint's URL.
func (s *Server) TokenURL() string { return s.ln.URL() + "/token" }

// Close stops the listener.
func (s *Server) Close() { s.ln.Close() }

// Handler returns the HTTP handler serving the APIs and the token endpoint.
func (s *Server) Handler() http.Handler { return s.mux }

// Client returns an HTTP client for the server; with TLS it trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.ln.Client(&http.Client{}) }

// Company returns the company the domain was built from.
func (s *Server) Company() *providersim.Company { return s.company }

// CustomerID is the domain's customer id ("C0" followed by seven characters).
func (s *Server) CustomerID() string { return s.dir.customerID }

// KeyJSON returns the generated service account key (Google's JSON key file format, token_uri pointing at this
// server when it listens); nil when Options.ServiceAccounts was set.
func (s *Server) KeyJSON() []byte {
	if s.keyJSON == nil {
		return nil
	}
	return withTokenURI(s.keyJSON, s.TokenURL())
}

// AdminEmail returns the primary email of the domain's first super admin (a subject for delegation).
func (s *Server) AdminEmail() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dir.users[s.dir.superAdmin].PrimaryEmail
}

// Stats returns a copy of the request counters.
func (s *Server) Stats() Stats {
	return s.stats.Snapshot(func(st Stats) Stats { st.ByRoute = simhttp.CloneCounts(st.ByRoute); return st })
}

// AddFault installs a fault; it applies to requests from now on.
func (s *Server) AddFault(f Fault) { s.faults.Add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

func (s *Server) now() time.Time { return s.clock().UTC() }
