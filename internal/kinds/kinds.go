// Package kinds is the one list of the connector kinds linked into Open-SSPM. Every composition root that runs
// connectors (the Lambda functions that sync, tail, receive or serve them, the command line, the demo) builds its
// registry here; adding a kind means adding it to List, next to its package, its simulator and its docs.
//
// Functions that never call a provider (evaluator, migrate) do not import this package, so they do not link the
// providers' SDKs.
package kinds

import (
	"github.com/open-sspm/open-sspm/internal/connector"
	awsidc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/outbound"
)

// Options are the composition root's choices for every kind.
type Options struct {
	// Outbound is the policy of every kind's provider calls (which addresses may be reached, timeouts); nil
	// means outbound.Strict(), public addresses only. Demo mode allows the simulators' listeners.
	Outbound *outbound.Policy
	// AllowLoopback lets connectors' endpoints point at a loopback address over http: demo mode and tests, whose
	// provider simulators listen there (Outbound must allow their addresses too).
	AllowLoopback bool
}

// List returns every connector kind, configured by o.
func List(o Options) []connector.Kind {
	return []connector.Kind{
		okta.NewKind(okta.Options{AllowLoopback: o.AllowLoopback, Outbound: o.Outbound}),
		github.NewKind(github.Options{AllowLoopback: o.AllowLoopback, Outbound: o.Outbound}),
		google.NewKind(google.Options{AllowLoopback: o.AllowLoopback, Outbound: o.Outbound}),
		entra.NewKind(entra.Options{AllowLoopback: o.AllowLoopback, Outbound: o.Outbound}),
		awsidc.NewKind(awsidc.Options{AllowLoopback: o.AllowLoopback, Outbound: o.Outbound}),
		datadog.NewKind(datadog.Options{AllowLoopback: o.AllowLoopback, Outbound: o.Outbound}),
	}
}

// NewRegistry returns the registry of every kind, configured by o.
func NewRegistry(o Options) *connector.Registry { return connector.NewRegistry(List(o)...) }
