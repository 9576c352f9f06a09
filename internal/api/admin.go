package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Admin is the admin REST API under /api (an OpenAPI 3.1 document at /api/openapi.json), and the local sign-in
// under /auth when a password login is configured. Every /api request carries a bearer JWT that Auth verifies
// (signature, issuer, audience, lifetime); viewers may only read, admins may also change things, and every
// change is written to admin_audit. Connector secrets are write-only: no response ever contains one, except the
// webhook secret an admin must register with the provider.
type Admin struct {
	Store    Store
	Registry Kinds
	Sealer   Sealer
	// WebhookSealer seals and opens webhook secrets, under their own purpose (secrets.PurposeWebhookVerification)
	// so that the webhook function may open them and no provider credential; nil refuses webhook secrets.
	WebhookSealer Sealer
	// KeyID names the key new secrets are sealed under (sspm.KeyWrapper.KeyID).
	KeyID func() string
	// PushHooks registers connectors' push hooks with their providers; nil answers 503 to registrations.
	PushHooks PushRegistrar
	// Invoker starts lane work (manual syncs); nil answers 503 to sync requests.
	Invoker sspm.Invoker
	// Rules attests rules and enables, disables or tunes rulesets and rules; nil answers 503 to those changes
	// and leaves the controls out of the posture.
	Rules RuleControls
	// Inbox is the queue between the webhook and the inbox lane, for its depth and dead deliveries; nil leaves
	// them out of the health page.
	Inbox Inbox
	// Auth verifies bearer tokens.
	Auth TokenVerifier
	// Login signs local users in (POST /auth/login); nil answers 404 (sign in through the identity provider).
	Login PasswordLogin
	// JWKS serves the local issuer's public keys at GET /auth/jwks.json; nil leaves the route out.
	JWKS http.Handler
	// DiscoveryEnabled is the global discovery switch.
	DiscoveryEnabled bool
	// SecretMaxAge is the age past which a connector's secret is flagged for rotation (default 90 days).
	SecretMaxAge time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// DefaultSecretMaxAge is when a connector secret is flagged for rotation.
const DefaultSecretMaxAge = 90 * 24 * time.Hour

// Kinds is the registry of connector kinds.
type Kinds interface {
	Names() []sspm.Kind
	Lookup(k sspm.Kind) (connector.Kind, error)
	Validate(c sspm.Connector, secret []byte) error
}

// Sealer seals and opens connector secrets (envelope encryption bound to the connector id).
type Sealer interface {
	Seal(ctx context.Context, connectorID string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, connectorID string, ciphertext []byte) ([]byte, error)
}

// errNoWebhookSealer answers a webhook secret operation when Admin.WebhookSealer is not set.
var errNoWebhookSealer = errors.New("api: no webhook sealer configured")

// webhookSealer returns WebhookSealer, or an error when it is not set.
func (a *Admin) webhookSealer() (Sealer, error) {
	if a.WebhookSealer == nil {
		return nil, errNoWebhookSealer
	}
	return a.WebhookSealer, nil
}

// Inbox is the push deliveries' queue: how deep it is and which deliveries died.
type Inbox interface {
	Depth(ctx context.Context) (ready, dead int64, err error)
	DeadPage(ctx context.Context, o postgres.ListOptions) (postgres.List[postgres.DeadMessage], error)
	DeadMessage(ctx context.Context, id int64) (postgres.DeadMessage, error)
	Replay(ctx context.Context, id int64) error
}

// TokenVerifier checks a bearer token.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (auth.Principal, error)
}

// PasswordLogin signs local users in and keeps their sessions.
type PasswordLogin interface {
	// Login checks a password; client is the caller's address (ClientAddr), which the attempt counts against.
	Login(ctx context.Context, email, password, client string) (auth.Token, auth.Principal, error)
	Refresh(ctx context.Context, refreshToken string) (auth.Token, auth.Principal, error)
	Logout(ctx context.Context, p auth.Principal) error
}

// Store is what the admin API reads and writes; *postgres.DB implements it.
type Store interface {
	connectorStore
	healthStore
	identityStore
	resourceStore
	discoveryStore
	eventStore
	findingStore
	findingActionStore
	ruleResultStore
	findingTrendStore
	auditStore
	historyStore
	pushHookStore
}

// Mount adds the API's routes to mux: the operations under /api, the OpenAPI document, /auth/login,
// /auth/refresh, /auth/logout and /auth/jwks.json, and JSON 404s for unknown /api and /auth paths (so the SPA's catch-all never answers them).
func (a *Admin) Mount(mux *http.ServeMux) {
	api := newHumaAPI(mux)
	a.register(api)
	doc, err := json.Marshal(api.OpenAPI())
	if err != nil {
		panic("api: marshal the OpenAPI document: " + err.Error()) // a programming error in the operations
	}
	// The document describes the operations and holds no data: it needs no token, like `open-sspm openapi`.
	mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/openapi+json")
		_, _ = w.Write(doc)
	})
	if a.JWKS != nil {
		mux.Handle("GET /auth/jwks.json", a.JWKS)
	}
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		mux.HandleFunc(m+" /api/", notFoundProblem)
		mux.HandleFunc(m+" /auth/", notFoundProblem)
	}
}

// WriteOpenAPI writes the admin API's OpenAPI 3.1 document, indented, as /api/openapi.json serves it (the SPA's
// client types are generated from it).
func WriteOpenAPI(w io.Writer) error {
	api := newHumaAPI(http.NewServeMux())
	(&Admin{}).register(api)
	b, err := json.MarshalIndent(api.OpenAPI(), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func newHumaAPI(mux *http.ServeMux) huma.API {
	cfg := huma.DefaultConfig("Open-SSPM admin API", "1.0.0")
	cfg.Info.Description = "Who has access to what, across identity providers and SaaS apps. Every operation needs a " +
		"bearer JWT (Cognito on AWS, POST /auth/login locally); viewers may only read."
	cfg.OpenAPIPath, cfg.DocsPath, cfg.SchemasPath = "", "", ""
	cfg.CreateHooks = nil // no $schema links in bodies
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
	}
	cfg.Transformers = []huma.Transformer{scrubProblemValues}
	return humago.New(mux, cfg)
}

// register adds every operation.
func (a *Admin) register(api huma.API) {
	api.UseMiddleware(a.authorize(api), rejectUnstorableText(api))
	a.registerSession(api)
	a.registerConnectors(api)
	a.registerConnectorActions(api)
	a.registerPushHooks(api)
	a.registerHealth(api)
	a.registerKinds(api)
	a.registerIdentities(api)
	a.registerAccounts(api)
	a.registerResources(api)
	a.registerDiscovery(api)
	a.registerEvents(api)
	a.registerFindings(api)
	a.registerFindingActions(api)
	a.registerPosture(api)
	a.registerRuleControls(api)
	a.registerFindingsTrend(api)
	a.registerAudit(api)
	a.registerHistory(api)
}

// Operation metadata keys.
const (
	metaPublic    = "public"     // no token needed (sign-in)
	metaAdminOnly = "admin_only" // admins only, even for a GET
	metaAnyRole   = "any_role"   // every role that may read, even for a POST (sign-out)
)

// operation registers one operation: it documents the bearer requirement and the errors every operation can
// answer, and maps the handler's errors to safe problem details.
func operation[I, O any](a *Admin, api huma.API, o huma.Operation, h func(context.Context, *I) (*O, error)) {
	if o.Metadata[metaPublic] != true {
		o.Security = []map[string][]string{{"bearer": {}}}
		o.Errors = append(o.Errors, http.StatusUnauthorized, http.StatusForbidden)
	}
	o.Errors = append(o.Errors, http.StatusInternalServerError)
	huma.Register(api, o, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, a.problem(ctx, o.OperationID, err)
		}
		return out, nil
	})
}

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Admin) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (a *Admin) secretMaxAge() time.Duration {
	if a.SecretMaxAge > 0 {
		return a.SecretMaxAge
	}
	return DefaultSecretMaxAge
}
