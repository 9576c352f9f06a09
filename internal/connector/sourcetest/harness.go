// Package sourcetest is the conformance suite every connector kind passes against its own provider simulator,
// the way queuetest serves the queues: resume from every checkpoint, failures that expire nothing, forbidden
// endpoints that keep their rows, rate limits waited out or paused on, every paging style followed to the end,
// tenants kept apart, push deliveries and tailed streams stored once.
//
// A kind joins by supplying a Harness (how to build the kind on the suite's fake clock, start a simulated tenant,
// and inject faults) and calling Run from a test in its package. The suite drives the real lane runner, tailer,
// webhook endpoint and inbox lane against the real PostgreSQL store; no test sleeps in real time.
package sourcetest

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// Loopback is the outbound policy of the kinds under test: it reaches the simulators' listeners on the loopback
// network, as an operator's OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS lets a test rig.
var Loopback = outbound.New(outbound.Config{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})

// Start is where the suite's fake clock starts: an hour after the simulated companies' "now", so that the
// events the simulators generate lie in the past.
var Start = providersim.DefaultNow().Add(time.Hour)

// Harness describes a connector kind to the suite.
type Harness struct {
	// Kind builds the kind under test with its time taken from clk (Now and Sleep), allowed to reach the
	// simulators' loopback addresses (AllowLoopback, Loopback).
	Kind func(clk *clocktest.Clock) connector.Kind
	// NewTenant starts simulated tenant n on clk: tenants 0 and 1 are different companies whose object ids never
	// collide. Listings are paged in a few items, so that every stage takes several pages. The tenant is closed
	// when the test ends.
	NewTenant func(t testing.TB, clk *clocktest.Clock, n int) Tenant
	// Endpoints lists the provider endpoints the full lane reads, at least one for every stage.
	Endpoints []Endpoint
	// RateLimits names the answers the provider slows a client down with (Fault.RateLimit), e.g. "429 with
	// Retry-After", "403 with X-RateLimit-Remaining: 0".
	RateLimits []string
	// Push is set for kinds that take push deliveries.
	Push *Push
	// Tail is set for kinds that tail an event stream.
	Tail *Tail
	// Discovery is set for kinds with a discovery lane (discovery.go).
	Discovery *Discovery
}

// Tenant is one simulated tenant of the provider.
type Tenant interface {
	// Connector returns a connector of the kind with the given id, configured for this tenant.
	Connector(id string) sspm.Connector
	// Secret is the connector's credential.
	Secret() []byte
	// Inject makes the simulator answer as f says, from now on until ClearFaults.
	Inject(f Fault)
	ClearFaults()
	// Requests is how many requests the simulator answered on an endpoint (Endpoint.Name).
	Requests(endpoint string) int
	// Delete removes objects as the provider's admin would (an account or member, a group or team, a
	// membership, an access grant) and returns the entities whose rows the next full run must expire.
	Delete(t testing.TB) []sspm.Entity
}

// Endpoint is a provider endpoint the full lane reads.
type Endpoint struct {
	// Name is the endpoint as the simulator's faults and request counts name it (a route pattern).
	Name string
	// Stage is the full-lane stage that reads it first.
	Stage string
	// Unavailable lists the entities a 403 on this endpoint makes unavailable, wholly or in part: the run may name
	// them whole or by scopes (sspm.ScopedEntity, e.g. the credentials of one kind, the members of one group), and
	// the rows it names are kept while the rest are swept. Empty means the endpoint is required and a 403 fails
	// the run; every listing should declare what it feeds instead (issue #11: a 403 hides only what it hides).
	Unavailable []sspm.Entity
	// Paging lists the ways the endpoint's pages can carry the next page; empty when it is read in one answer.
	Paging []Paging
	// Tolerant: a failing answer ends the stage early with a message instead of failing the run (reads bounded
	// per run that continue in the next).
	Tolerant bool
}

// Paging is a way a listing's answer carries its next page.
type Paging string

const (
	// LinkHeader: a Link header with rel="next".
	LinkHeader Paging = "link header"
	// BodyLink: a next link in the body (Okta's `_links.next.href`).
	BodyLink Paging = "next link in the body"
	// BodyToken: a continuation token in the body (GraphQL's pageInfo.endCursor).
	BodyToken Paging = "token in the body"
	// PageNumber: the client asks for page[number] n+1 while the pages come back full (Datadog's 0-based
	// page[number]); EmptyLastPage fills the last page so that an empty one ends the listing.
	PageNumber Paging = "page number"
)

// FaultKind says what a fault does.
type FaultKind int

const (
	// ServerError answers 5xx.
	ServerError FaultKind = iota + 1
	// Forbidden answers 403: the credential may not read the endpoint.
	Forbidden
	// RateLimited answers with the provider's rate-limit answer Fault.RateLimit, asking to wait Fault.Wait.
	RateLimited
	// EmptyLastPage gives the listing's last page a next link to one more page, which is empty and has none.
	EmptyLastPage
	// Style answers the listing's pages with the next page carried as Fault.Paging says (only).
	Style
)

// Fault is an answer the simulator gives instead of its usual one.
type Fault struct {
	Endpoint string
	Kind     FaultKind
	// Page, when > 0, matches only that page of a listing (1 is the first).
	Page int
	// Times is how many times it fires; 0 means until cleared.
	Times     int
	RateLimit string
	Wait      time.Duration
	Paging    Paging
}

// Push describes a kind's push deliveries.
type Push struct {
	// Delivery builds a delivery of the tenant as the provider sends it, for the case c, signed with secret.
	// maxBody is the webhook endpoint's body limit: an Oversize delivery must exceed it, the others must not.
	Delivery func(t testing.TB, tn Tenant, c DeliveryCase, secret []byte, maxBody int64) Delivery
	// Stale is the expected answer to a Stale delivery: providers that sign a timestamp refuse it (401); the
	// others accept it (200) and its events are stored once, with their own times.
	Stale int
}

// DeliveryCase names a kind of delivery.
type DeliveryCase string

const (
	Valid        DeliveryCase = "valid"
	BadSignature DeliveryCase = "bad signature"
	Stale        DeliveryCase = "stale"
	Oversize     DeliveryCase = "oversize"
	Malformed    DeliveryCase = "malformed"
	Duplicate    DeliveryCase = "duplicate" // the Valid delivery sent again, as providers retry
)

// Delivery is one HTTP delivery.
type Delivery struct {
	Method string // default POST
	Header http.Header
	Body   []byte
	// Events is how many events the delivery carries (Valid, Stale).
	Events int
}

// Tail describes a kind's tailed stream.
type Tail struct {
	Stream string
	// Emit makes n new events happen in the tenant at the clock's time.
	Emit func(t testing.TB, tn Tenant, n int)
}
