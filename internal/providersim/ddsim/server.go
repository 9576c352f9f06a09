package ddsim

import (
	"net/http"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Default credentials accepted when Options.APIKeys or Options.AppKeys is nil.
const (
	DefaultAPIKey = "ddsim0000000000000000000000000api"
	DefaultAppKey = "ddsim00000000000000000000000000000000app"
)

// Options configure a simulated Datadog organization. The zero value serves the company over plain http with
// DefaultAPIKey and DefaultAppKey (holding every permission), unmetered, without faults.
type Options struct {
	// APIKeys are accepted in the DD-API-KEY header; nil means {DefaultAPIKey}.
	APIKeys []string
	// AppKeys are the application keys accepted in DD-APPLICATION-KEY, each with the permission names it holds
	// (its owner's role permissions, narrowed by its scopes); a nil permission list holds every permission. nil
	// means {DefaultAppKey: nil}. A request whose key lacks the endpoint's permission answers 403 Forbidden.
	AppKeys map[string][]string
	// Clock returns the current time (rate-limit windows, audit "now"); nil means time.Now.
	Clock func() time.Time
	// RateLimits are per-bucket budgets of requests per RatePeriod (bucket names: the Bucket* constants); a
	// missing or zero budget is unmetered (its headers report DefaultLimit).
	RateLimits map[string]int
	// RatePeriod is the length of a rate-limit window; 0 means DefaultPeriod.
	RatePeriod time.Duration
	// Faults are installed at start; see AddFault.
	Faults []Fault
	// TLS serves https with httptest's certificate.
	TLS bool
	// Users caps the organization at that many users, in the company's order (benchmarks: 10,000 users of the
	// Large company); 0 keeps every person with a Datadog account.
	Users int
	// ExtraRoles adds that many custom roles (read permissions only) with members spread over the users, for
	// sizing (50 roles); ExtraKeys adds that many application keys owned round-robin by the users (2,000 keys).
	ExtraRoles, ExtraKeys int
	// Run tells one start of the organization from another of the same company: audit event ids carry it, so a
	// restarted organization's events are not taken for an earlier start's. Entity ids (users, roles, keys) stay
	// the same for the same company.
	Run int64
}

// Server is a simulated Datadog organization. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	clock  func() time.Time
	mux    *http.ServeMux
	ln     simhttp.Listener
	faults faultSet
	stats  statsRecorder
	limit  *limiter
	orgMu  sync.RWMutex // guards org: handlers read it, the Delete* methods change it
	org    *org

	mu       sync.RWMutex // guards events and eventSeq
	events   []*auditEvent
	eventSeq uint64
	evSeed   uint64

	hostMu sync.Mutex
	hosts  []string
}

// New builds the organization for the company and serves it on a loopback httptest server. Close it when done.
func New(c *providersim.Company, opts Options) *Server {
	s := NewHandler(c, opts)
	s.ln.Start(s.mux, opts.TLS)
	return s
}

// NewHandler builds the organization without a listener: mount Handler elsewhere. URL is empty and Close is a
// no-op.
func NewHandler(c *providersim.Company, opts Options) *Server {
	if opts.APIKeys == nil {
		opts.APIKeys = []string{DefaultAPIKey}
	}
	if opts.AppKeys == nil {
		opts.AppKeys = map[string][]string{DefaultAppKey: nil}
	}
	if opts.RatePeriod <= 0 {
		opts.RatePeriod = DefaultPeriod
	}
	s := &Server{opts: opts, clock: opts.Clock}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.evSeed = providersim.SplitMix64(uint64(c.Config.Seed) ^ 0x6464)
	if opts.Run != 0 {
		s.evSeed ^= providersim.SplitMix64(uint64(opts.Run))
	}
	s.limit = newLimiter(opts.RateLimits, opts.RatePeriod)
	for _, f := range opts.Faults {
		s.faults.add(f)
	}
	s.org = buildOrg(c, opts)
	s.buildAudit(c)
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// URL is the server's base URL (no trailing slash): the SDK's server index 1 takes its host as "name".
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

// Hosts returns the Host header of every authenticated request so far, in order (the site the client chose).
func (s *Server) Hosts() []string {
	s.hostMu.Lock()
	defer s.hostMu.Unlock()
	return append([]string(nil), s.hosts...)
}

func (s *Server) sawHost(h string) {
	s.hostMu.Lock()
	defer s.hostMu.Unlock()
	if len(s.hosts) < 10000 {
		s.hosts = append(s.hosts, h)
	}
}

// locked runs a handler under the organization's read lock.
func (s *Server) locked(h func() reply) reply {
	s.orgMu.RLock()
	defer s.orgMu.RUnlock()
	return h()
}
