package entrasim

import (
	"crypto/x509"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Defaults used when Options leaves them empty.
const (
	// DefaultClientID is the app registration accepted when Options.Apps is nil.
	DefaultClientID = "5f1c0b8e-5a2e-4c47-9d8f-2c1a7e6b3d10"
	// DefaultSecret is DefaultClientID's client secret.
	DefaultSecret = "sim~entra-client-secret"
	// DefaultToken is a static bearer token accepted when Options.Tokens is nil (tests that use a fixed
	// azcore.TokenCredential); it acts for DefaultClientID.
	DefaultToken = "entrasim-static-token"
	// GraphScope is the only scope the token endpoint grants.
	GraphScope = "https://graph.microsoft.com/.default"
	// tokenLifetime is how long issued access tokens live (Entra issues 60–90 minutes; expires_in 3599).
	tokenLifetime = 3599 * time.Second
)

// App is an app registration that may request tokens with client credentials.
type App struct {
	ClientID string
	// Secret, when set, is accepted as client_secret.
	Secret string
	// Certificates are the registered certificates: a client_assertion must be signed by one of their keys
	// (chosen by the x5t / x5t#S256 header when present).
	Certificates []*x509.Certificate
	// Roles are the application permissions consented for the app ("User.Read.All", ...); nil grants every
	// permission the simulator checks.
	Roles []string
}

// Options configure a simulated tenant. The zero value serves the company as an Entra ID P1 tenant over plain
// http, accepting DefaultToken and DefaultClientID/DefaultSecret, without throttling or faults.
type Options struct {
	// TenantID is the directory (tenant) id; empty derives a GUID from the company's seed.
	TenantID string
	// Apps are the app registrations allowed to get tokens; nil means one app DefaultClientID with DefaultSecret.
	Apps []App
	// Tokens are static bearer tokens accepted on Graph calls, acting for the first app; nil means
	// {DefaultToken}.
	Tokens []string
	// Clock returns the current time (token expiry, throttling windows, timestamps); nil means time.Now.
	Clock func() time.Time
	// WithoutP1 serves a tenant without Entra ID P1/P2: signInActivity is refused as Graph refuses it.
	WithoutP1 bool
	// ResourceUnits is the per-app throttling budget in resource units per 10 seconds (Graph: 3,500 / 5,000 /
	// 8,000 by tenant size); 0 means unlimited.
	ResourceUnits int
	// WithoutThrottleWarning leaves out x-ms-throttle-limit-percentage (Graph documents it from 80% use; it
	// is reported missing in practice): a client then learns of the limit only from 429s.
	WithoutThrottleWarning bool
	// ReportRequests is the per-app budget of audit log requests per 10 seconds (Graph: 5); 0 means unlimited.
	ReportRequests int
	// DeltaMembersPerObject splits a group's members@delta in a groups delta round into parts of at most this
	// many entries, the group appearing once per part (on one page or over several), as Graph does for large
	// groups: clients must merge the parts, not keep the last. 0 sends each group's entries whole.
	DeltaMembersPerObject int
	// PageCap caps every page below Graph's maximum (999); 0 keeps Graph's.
	PageCap int
	// Faults are installed at start; see AddFault.
	Faults []Fault
	// NotifyClient makes the subscription validation requests and delivers change notifications; nil means
	// http.DefaultClient.
	NotifyClient *http.Client
	// TLS serves https with httptest's certificate; Client trusts it.
	TLS bool
	// Run tells one start of the tenant from another of the same company: skip tokens, delta tokens, access
	// tokens and request ids are keyed by it, so a restarted tenant refuses an earlier start's links (as Graph
	// refuses a lost sync state) instead of answering them against different state. Object ids are the
	// company's (stable across starts, as directory object ids are).
	Run int64
}

// Server is a simulated Entra ID tenant serving Microsoft Graph v1.0 and the tenant's token endpoint. Its
// methods are safe for concurrent use.
type Server struct {
	opts     Options
	company  *providersim.Company
	clock    func() time.Time
	tenantID string
	mux      *http.ServeMux
	ln       simhttp.Listener
	auth     *authState
	throttle *throttle
	faults   faultSet
	stats    statsRecorder
	key      []byte // MAC key of skip and delta tokens
	reports  *throttle
	reqSeq   atomic.Int64
	requests atomic.Int64

	mu   sync.RWMutex // guards dir and apps
	dir  *directory
	apps *appsDir
	log  *auditLog

	subs subscriptions
}

// New builds the tenant for the company and serves it on a loopback httptest server. Close it when done.
func New(c *providersim.Company, opts Options) *Server {
	s := NewHandler(c, opts)
	s.ln.Start(s.mux, opts.TLS)
	return s
}

// NewHandler builds the tenant without starting a listener: mount Handler elsewhere. URL is empty and Close
// is a no-op.
func NewHandler(c *providersim.Company, opts Options) *Server {
	s := &Server{opts: opts, company: c, clock: opts.Clock}
	if s.clock == nil {
		s.clock = time.Now
	}
	seed := c.Config.Seed
	s.tenantID = opts.TenantID
	if s.tenantID == "" {
		s.tenantID = guid(seed, kindTenant, 0)
	}
	s.key = tokenKey(seed, opts.Run)
	apps := opts.Apps
	if apps == nil {
		apps = []App{{ClientID: DefaultClientID, Secret: DefaultSecret}}
	}
	tokens := opts.Tokens
	if tokens == nil {
		tokens = []string{DefaultToken}
	}
	s.auth = newAuthState(apps, tokens)
	s.throttle = newThrottle(opts.ResourceUnits, !opts.WithoutThrottleWarning)
	s.reports = newThrottle(opts.ReportRequests, !opts.WithoutThrottleWarning)
	for _, f := range opts.Faults {
		s.faults.add(f)
	}
	s.dir = buildDirectory(c, seed)
	s.apps = buildApps(c, s.dir, s.tenantID)
	s.log = buildAuditLog(c, s.dir, s.apps)
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// URL returns the server's base URL; Graph is under URL()+"/v1.0", the token endpoint under
// URL()+"/{tenant}/oauth2/v2.0/token".
func (s *Server) URL() string {
	return s.ln.URL()
}

// Close stops the listener.
func (s *Server) Close() { s.ln.Close() }

// Handler returns the HTTP handler serving Graph and the token endpoint.
func (s *Server) Handler() http.Handler { return s.mux }

// Client returns an HTTP client for the server; with TLS it trusts the server's certificate.
func (s *Server) Client() *http.Client {
	return s.ln.Client(&http.Client{})
}

// TenantID returns the tenant's directory id.
func (s *Server) TenantID() string { return s.tenantID }

// Company returns the company the tenant was built from.
func (s *Server) Company() *providersim.Company { return s.company }

// Requests returns how many Graph requests (not token requests) the server answered.
func (s *Server) Requests() int64 { return s.requests.Load() }

// AddFault installs a fault; it applies to requests from now on.
func (s *Server) AddFault(f Fault) { s.faults.add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

func (s *Server) now() time.Time { return s.clock().UTC() }
