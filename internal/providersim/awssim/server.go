package awssim

import (
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Default credentials the simulator accepts (the long-term key of the caller that assumes the role).
const (
	DefaultAccessKeyID     = "AKIASIMULATOR0000001"
	DefaultSecretAccessKey = "simulator/secret/key/0000000000000000000"
	DefaultRegion          = "us-east-1"
)

// Options configure a simulated Identity Center. The zero value serves the company over plain http with the
// default access key, in us-east-1.
type Options struct {
	// AccessKeyID is the access key whose SigV4 signatures are accepted; default DefaultAccessKeyID. Session
	// keys STS mints are accepted too.
	AccessKeyID string
	// Region is the Identity Center home region; default DefaultRegion.
	Region string
	// RoleARN and ExternalID are what AssumeRole accepts; RoleARN defaults to a role in the owner account,
	// ExternalID "" accepts any (or none).
	RoleARN, ExternalID string
	// Tenant tells two instances of the same company apart (their ids never collide).
	Tenant int
	// Accounts is the number of AWS accounts (default 6); PermissionSets the number of permission sets (at
	// least the 8 of the fixed catalogue).
	Accounts, PermissionSets int
	// Users and Groups cap the Identity Store (benchmarks); 0 keeps what the company yields.
	Users, Groups int
	// PageSize is the most items a listing answers per page whatever MaxResults asks (AWS may answer fewer than
	// MaxResults); 0 means MaxResults alone decides.
	PageSize int
	// LookupTPS is CloudTrail LookupEvents' rate on the clock (default 2 per second); negative means unlimited.
	LookupTPS float64
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Faults are installed at start; see AddFault.
	Faults []Fault
}

// Server is a simulated IAM Identity Center instance. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	clock  func() time.Time
	ln     simhttp.Listener
	faults simhttp.Faults[Fault]
	stats  simhttp.Recorder[Stats]
	lookup bucket

	mu       sync.RWMutex // guards org and sessions
	org      *org
	sessions map[string]session
}

// session is a key STS minted.
type session struct {
	secret, token string
	expires       time.Time
}

// New builds the instance for the company and serves it on a loopback listener. Close it when done.
func New(c *providersim.Company, opts Options) *Server {
	s := NewHandler(c, opts)
	s.ln.Start(s, false)
	return s
}

// NewHandler builds the instance without a listener: mount the Server (an http.Handler) elsewhere.
func NewHandler(c *providersim.Company, opts Options) *Server {
	if opts.AccessKeyID == "" {
		opts.AccessKeyID = DefaultAccessKeyID
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Accounts <= 0 {
		opts.Accounts = 6
	}
	if opts.LookupTPS == 0 {
		opts.LookupTPS = 2
	}
	s := &Server{opts: opts, clock: opts.Clock, sessions: map[string]session{}}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.org = buildOrg(c, opts)
	if s.opts.RoleARN == "" {
		s.opts.RoleARN = "arn:aws:iam::" + s.org.ownerAccount + ":role/OpenSSPMReadOnly"
	}
	s.lookup = bucket{rate: opts.LookupTPS, burst: max(opts.LookupTPS, 1)}
	for _, f := range opts.Faults {
		s.faults.Add(f)
	}
	return s
}

// URL is the base URL every client's BaseEndpoint points at ("" without a listener).
func (s *Server) URL() string { return s.ln.URL() }

// Close stops the listener.
func (s *Server) Close() { s.ln.Close() }

// InstanceARN, IdentityStoreID, Region and RoleARN describe the instance.
func (s *Server) InstanceARN() string     { return s.org.instanceARN }
func (s *Server) IdentityStoreID() string { return s.org.identityStoreID }
func (s *Server) Region() string          { return s.opts.Region }
func (s *Server) RoleARN() string         { return s.opts.RoleARN }
func (s *Server) OwnerAccount() string    { return s.org.ownerAccount }

// Stats counts the requests answered since the start or the last ResetStats.
type Stats struct {
	Total int
	// ByOperation counts per X-Amz-Target ("AWSIdentityStore.ListUsers") or STS action ("STS.AssumeRole").
	ByOperation map[string]int
	ByStatus    map[int]int
	// Throttled counts throttling answers; Faulted answers faults made.
	Throttled, Faulted int
	// Regions counts the regions of the signatures' credential scopes.
	Regions map[string]int
	// Errors counts error answers by operation and code ("AWSIdentityStore.ListUsers ThrottlingException").
	Errors map[string]int
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return s.stats.Snapshot(func(st Stats) Stats {
		st.ByOperation = simhttp.CloneCounts(st.ByOperation)
		st.ByStatus = simhttp.CloneCounts(st.ByStatus)
		st.Regions = simhttp.CloneCounts(st.Regions)
		st.Errors = simhttp.CloneCounts(st.Errors)
		return st
	})
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.Reset(Stats{}) }

func (s *Server) record(op, region string, status int, throttled, faulted bool) {
	s.stats.Update(func(st *Stats) {
		st.Total++
		simhttp.Count(&st.ByOperation, op)
		simhttp.Count(&st.ByStatus, status)
		if region != "" {
			simhttp.Count(&st.Regions, region)
		}
		if throttled {
			st.Throttled++
		}
		if faulted {
			st.Faulted++
		}
	})
}

// bucket is a token bucket on the server's clock.
type bucket struct {
	mu          sync.Mutex
	rate, burst float64
	tokens      float64
	last        time.Time
}

// take spends a token; false when none is left (the caller is throttled).
func (b *bucket) take(now time.Time) bool {
	if b.rate < 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.tokens = b.burst
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
