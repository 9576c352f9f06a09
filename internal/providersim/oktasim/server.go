package oktasim

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Options configure a simulated Okta org. The zero value serves the company
// over plain http with DefaultToken, no rate limits and no faults.
type Options struct {
	// Tokens are the API tokens accepted as "Authorization: SSWS <token>";
	// nil means []string{DefaultToken}.
	Tokens []string
	// OAuthClients may exchange a private_key_jwt assertion for a Bearer
	// access token at /oauth2/v1/token.
	OAuthClients []OAuthClient
	// Clock returns the current time for timestamps, rate-limit windows,
	// token expiry and System Log retention; nil means time.Now. Added
	// latency (Latency, Fault.Delay) is real time.
	Clock func() time.Time
	// RateLimits are per-minute budgets per bucket (BucketUsers, ...); a
	// missing or zero budget is unlimited. WorkforceLimits gives Okta's.
	RateLimits map[string]int
	// MaxConcurrent answers 429 (with zero rate-limit headers, as Okta's
	// concurrency limit does) beyond this many requests in flight; 0 = no limit.
	MaxConcurrent int
	// Latency is added to every response.
	Latency time.Duration
	// PageCaps caps page sizes per route path (e.g. "/api/v1/users": 50)
	// below Okta's maximums.
	PageCaps map[string]int
	// Faults are installed at start; see AddFault.
	Faults []Fault
	// TLS serves https with httptest's certificate; Client trusts it.
	TLS bool
	// HookClient sends event hook verifications and deliveries; nil means a
	// client with Okta's 3-second timeout.
	HookClient *http.Client
	// Hooks shape event hook deliveries.
	Hooks HookOptions
	// LogLag delays each new System Log event's persistence by a pseudo-random time of up to LogLag after it
	// was published, as Okta's log pipeline does: polling requests see an event only once it is stored, in the
	// order of storage, so events published within the lag window of each other come out of `published` order.
	// 0 stores every event at once.
	LogLag time.Duration
	// Run tells one start of the org from another of the same company: the ids of System Log events and event
	// hook deliveries are derived from it (objects keep theirs), so a restarted org's new events are not taken
	// for an earlier start's. 0 keeps them a function of the company's seed alone.
	Run int64
}

// Server is a simulated Okta org serving the Management API for one
// company. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	company *providersim.Company
	clock   func() time.Time
	ids     idMaker
	// eventSeed derives event and delivery ids: the company's seed, mixed with Options.Run when set.
	eventSeed int64
	mux       *http.ServeMux
	ln        simhttp.Listener
	bufs      bufPool
	errSeq    atomic.Int64
	reqSeq    atomic.Int64
	limiter   *limiter
	faults    faultSet
	stats     statsRecorder
	auth      *authState
	flight    atomic.Int64

	mu       sync.RWMutex // guards org, log, hooks and byPerson
	org      *org
	log      *systemLog
	pending  []*logEvent // published, not yet stored (LogLag)
	lagSeq   uint64
	hooks    hookSet
	byPerson []*user
	appByKey map[string]*app
	admin    logRef
}

// New builds the Okta org for the company and starts serving it on a
// loopback httptest server. Close it when done.
func New(c *providersim.Company, opts Options) *Server {
	s := NewHandler(c, opts)
	s.ln.Start(s.mux, opts.TLS)
	return s
}

// NewHandler builds the org without starting a listener: mount Handler in
// another server (for example the demo's). URL is empty and Close is a no-op.
func NewHandler(c *providersim.Company, opts Options) *Server {
	s := &Server{opts: opts, company: c, clock: opts.Clock, ids: newIDMaker(c.Config.Seed), eventSeed: c.Config.Seed}
	if opts.Run != 0 {
		s.eventSeed ^= int64(providersim.SplitMix64(uint64(opts.Run)))
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.limiter = newLimiter(opts.RateLimits)
	s.auth = newAuthState(opts.Tokens, opts.OAuthClients)
	for _, f := range opts.Faults {
		s.faults.add(f)
	}
	s.org, s.byPerson, s.appByKey = buildOrg(c, s.ids)
	s.hooks.byID = map[string]*hook{}
	s.admin = findAdmin(s.org)
	person := func(i int) *user {
		if i < 0 || i >= len(s.byPerson) {
			return nil
		}
		return s.byPerson[i]
	}
	s.log = buildLog(c, s.org, person, s.appByKey, s.adminActor())
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// URL returns the org URL (http://127.0.0.1:port or https://...).
func (s *Server) URL() string {
	return s.ln.URL()
}

// Close stops the listener.
func (s *Server) Close() { s.ln.Close() }

// Handler returns the HTTP handler serving the API.
func (s *Server) Handler() http.Handler { return s.mux }

// Client returns an HTTP client for the server; with TLS it trusts the
// server's certificate.
func (s *Server) Client() *http.Client {
	return s.ln.Client(&http.Client{})
}

// Company returns the company the org was built from.
func (s *Server) Company() *providersim.Company { return s.company }

func (s *Server) now() time.Time { return s.clock().UTC() }

// SetRateLimits replaces the per-bucket budgets (see Options.RateLimits).
func (s *Server) SetRateLimits(limits map[string]int) { s.limiter.set(limits) }

// AddFault installs a fault; it applies to requests from now on.
func (s *Server) AddFault(f Fault) { s.faults.add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// Stats returns the request counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the request counters.
func (s *Server) ResetStats() { s.stats.reset() }
