// Package connector holds the connector contract's plumbing: the registry of connector kinds the composition
// root builds (explicitly; nothing registers itself in init), and validation of connector settings.
package connector

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Kind describes one connector kind: how to validate its settings and build its sources.
type Kind struct {
	Kind sspm.Kind
	// Authoritative is the default of the connector's authoritative flag (identity providers).
	Authoritative bool
	// ConfigSchema is the JSON Schema of the kind's config, for the admin UI's connector form.
	ConfigSchema json.RawMessage
	// Scopes lists the read-only permissions to grant the connector's credential, shown in the form.
	Scopes []string
	// Endpoint names the config field that holds the provider's address the secret is sent to (see
	// Endpoint): changing its host requires entering the secret again. The zero value means the kind always
	// calls the same fixed host.
	Endpoint Endpoint
	// Validate checks the non-secret config and the secret; it returns a sspm.CodeInvalid error naming the
	// field that is wrong. The secret is nil when only the config changes.
	Validate func(config json.RawMessage, secret []byte) error
	// NewSource builds the full and discovery lane source.
	NewSource func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error)
	// Discovery says the kind's source runs the discovery lane (SaaS evidence from an identity provider's log).
	Discovery bool
	// NewStreams builds the tail lane source; nil when the kind has no event log to tail.
	NewStreams func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.StreamSource, error)
	// Push is set for kinds that receive push deliveries.
	Push *Push
	// Bind, when set, returns the kind wired to the dependencies the composition root opens after building the
	// registry (Registry.Bind).
	Bind func(Deps) Kind
}

// Lanes lists the lanes a connector of the kind has, in sspm.Lanes order: full with a source, discovery when it
// reads SaaS evidence, the event inbox with push deliveries, the tail with event logs, and always the evaluator.
func (k Kind) Lanes() []sspm.Lane {
	var out []sspm.Lane
	for _, l := range sspm.Lanes {
		switch {
		case l == sspm.LaneFull && k.NewSource != nil,
			l == sspm.LaneDiscovery && k.NewSource != nil && k.Discovery,
			l == sspm.LaneEventInbox && k.Push != nil,
			l == sspm.LaneTail && k.NewStreams != nil,
			l == sspm.LaneEvaluator:
			out = append(out, l)
		}
	}
	return out
}

// Deps are what the composition root hands the kinds once the store is open.
type Deps struct {
	// HTTPCache keeps connectors' HTTP answers for conditional requests; nil means none.
	HTTPCache HTTPCache
	// Outbound is the operator's outbound policy (OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS) for kinds that were
	// built without one; nil leaves them strict.
	Outbound *outbound.Policy
	// Hooks tells kinds whose push subscriptions expire (Entra's subscriptions, Google's Reports channels) where
	// a connector's registered hook is, so that a scheduled step can renew or re-create them; nil means none.
	Hooks Hooks
}

// Hooks returns a connector's registered push hook: the URL the provider delivers to and the webhook secret the
// deliveries carry. It returns a sspm.CodeNotFound error when no hook is registered for the connector.
// The application implements it from the hook registrations it stores (App.RegisterPush).
type Hooks interface {
	PushHook(ctx context.Context, c sspm.Connector) (hookURL, hookSecret string, err error)
}

// HTTPCache stores a connector's HTTP answers by request key (a name of the credential, the method and the URL;
// never a secret) for conditional requests. *postgres.DB implements it.
type HTTPCache interface {
	// GetHTTPCache returns the stored answer of key and marks it used; etag is "" when none is stored.
	GetHTTPCache(ctx context.Context, connectorID, key string) (etag string, header http.Header, body []byte, err error)
	// PutHTTPCache stores the answer of key: its ETag, its Link and Content-Type headers, and its body.
	PutHTTPCache(ctx context.Context, connectorID, key, etag string, header http.Header, body []byte) error
	// EvictHTTPCache deletes the connector's answers no request used in the last unusedFor.
	EvictHTTPCache(ctx context.Context, connectorID string, unusedFor time.Duration) (int64, error)
}

// Registry maps connector kinds to their descriptions.
type Registry struct {
	kinds map[sspm.Kind]Kind
	deps  *Deps // set by Bind; kinds added later by With are bound to them too
}

// NewRegistry returns a registry of the given kinds.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{kinds: make(map[sspm.Kind]Kind, len(kinds))}
	for _, k := range kinds {
		r.kinds[k.Kind] = k
	}
	return r
}

// With returns a copy of the registry with kind added or replacing the kind of the same name (the demo's Okta
// kind, which may reach the simulator's loopback address). A bound registry binds the kind to its Deps.
func (r *Registry) With(kind Kind) *Registry {
	out := &Registry{kinds: make(map[sspm.Kind]Kind, len(r.kinds)+1), deps: r.deps}
	for k, v := range r.kinds {
		out.kinds[k] = v
	}
	if r.deps != nil && kind.Bind != nil {
		kind = kind.Bind(*r.deps)
	}
	out.kinds[kind.Kind] = kind
	return out
}

// Bind returns a copy of the registry whose kinds are bound to deps (see Kind.Bind). A dependency deps leaves
// unset keeps the one an earlier Bind gave (the AWS runtime binds the outbound policy, the application the
// store's cache and hooks).
func (r *Registry) Bind(deps Deps) *Registry {
	if r.deps != nil {
		if deps.HTTPCache == nil {
			deps.HTTPCache = r.deps.HTTPCache
		}
		if deps.Outbound == nil {
			deps.Outbound = r.deps.Outbound
		}
		if deps.Hooks == nil {
			deps.Hooks = r.deps.Hooks
		}
	}
	out := &Registry{kinds: make(map[sspm.Kind]Kind, len(r.kinds)), deps: &deps}
	for k, v := range r.kinds {
		if v.Bind != nil {
			v = v.Bind(deps)
		}
		out.kinds[k] = v
	}
	return out
}

// Lookup returns the kind named k, or a CodeInvalid error listing the known kinds.
func (r *Registry) Lookup(k sspm.Kind) (Kind, error) {
	kind, ok := r.kinds[k]
	if !ok {
		return Kind{}, sspm.Errorf(sspm.CodeInvalid, "unknown connector kind %q (known: %v)", k, r.Names())
	}
	return kind, nil
}

// Names lists the registered kinds, sorted.
func (r *Registry) Names() []sspm.Kind {
	out := make([]sspm.Kind, 0, len(r.kinds))
	for k := range r.kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Validate checks a connector's id, name, kind and settings before anything is written.
func (r *Registry) Validate(c sspm.Connector, secret []byte) error {
	if !sspm.ValidConnectorID(c.ID) {
		return sspm.Errorf(sspm.CodeInvalid, "connector id %q: use 1-63 lower-case letters, digits and dashes, starting with a letter or digit", c.ID)
	}
	if c.Name == "" {
		return sspm.Errorf(sspm.CodeInvalid, "connector %s: name is required", c.ID)
	}
	kind, err := r.Lookup(c.Kind)
	if err != nil {
		return err
	}
	if len(c.Config) > 0 && !json.Valid(c.Config) {
		return sspm.Errorf(sspm.CodeInvalid, "connector %s: config is not valid JSON", c.ID)
	}
	if kind.Validate != nil {
		if err := kind.Validate(c.Config, secret); err != nil {
			return err
		}
	}
	return nil
}
