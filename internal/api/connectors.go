package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type connectorStore interface {
	Connectors(ctx context.Context) ([]sspm.Connector, error)
	Connector(ctx context.Context, id string) (sspm.Connector, error)
	ConnectorSecret(ctx context.Context, id string) ([]byte, error)
	WebhookSecret(ctx context.Context, id string) ([]byte, error)
	CreateConnectorAudited(ctx context.Context, n postgres.NewConnector, actor string) (sspm.Connector, error)
	UpdateConnectorAndSecretAudited(ctx context.Context, id, actor string, sealed []byte, keyID string, change func(sspm.Connector) (sspm.Connector, error)) (sspm.Connector, error)
	SetConnectorSecretAudited(ctx context.Context, id string, sealed []byte, keyID, actor string) (sspm.Connector, error)
	DeleteConnectorAudited(ctx context.Context, id, actor string) error
}

// Connector is a configured source. Its secret is write-only: only whether one is set, and when it last changed.
type Connector struct {
	ID               string           `json:"id"`
	Kind             string           `json:"kind"`
	Name             string           `json:"name"`
	Enabled          bool             `json:"enabled"`
	DiscoveryEnabled bool             `json:"discovery_enabled"`
	Authoritative    bool             `json:"authoritative" doc:"Its accounts anchor identities (identity providers)."`
	Config           map[string]any   `json:"config" doc:"Non-secret settings, as the kind's config schema describes them."`
	Intervals        map[string]int64 `json:"intervals" doc:"Seconds between scheduled runs per lane; a missing lane runs at its default."`
	Push             bool             `json:"push" doc:"The kind takes push deliveries (webhooks)."`
	HasSecret        bool             `json:"has_secret"`
	SecretUpdatedAt  *time.Time       `json:"secret_updated_at,omitempty"`
	SecretAgeDays    *int             `json:"secret_age_days,omitempty"`
	SecretStale      bool             `json:"secret_stale" doc:"The secret is older than the rotation age (default 90 days): rotate it."`
	CreatedAt        time.Time        `json:"created_at"`
	UpdatedAt        time.Time        `json:"updated_at"`
}

// ConnectorCreate is a new connector.
type ConnectorCreate struct {
	ID               string           `json:"id" pattern:"^[a-z0-9][a-z0-9-]{0,62}$" doc:"Lower-case letters, digits and dashes; part of the webhook URL."`
	Kind             string           `json:"kind"`
	Name             string           `json:"name" minLength:"1" maxLength:"200"`
	Enabled          *bool            `json:"enabled,omitempty" doc:"Default true."`
	DiscoveryEnabled bool             `json:"discovery_enabled,omitempty"`
	Authoritative    *bool            `json:"authoritative,omitempty" doc:"Default: the kind's default (true for identity providers)."`
	Config           map[string]any   `json:"config,omitempty"`
	Intervals        map[string]int64 `json:"intervals,omitempty"`
	Secret           string           `json:"secret,omitempty" maxLength:"65536" writeOnly:"true" doc:"The API token or private key; never returned."`
}

// ConnectorUpdate changes a connector's settings; absent fields stay as they are.
type ConnectorUpdate struct {
	Name             *string          `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Enabled          *bool            `json:"enabled,omitempty"`
	DiscoveryEnabled *bool            `json:"discovery_enabled,omitempty"`
	Authoritative    *bool            `json:"authoritative,omitempty"`
	Config           map[string]any   `json:"config,omitempty" doc:"Replaces the whole config."`
	Intervals        map[string]int64 `json:"intervals,omitempty" doc:"Per lane; 0 restores the lane's default."`
	Secret           string           `json:"secret,omitempty" maxLength:"65536" writeOnly:"true" doc:"A new secret, stored with the change. Required when the config moves the provider's endpoint (org URL, API URL, site) to another host: the saved secret is never sent to a new host."`
}

// SecretInput is a connector's new secret.
type SecretInput struct {
	Secret string `json:"secret" minLength:"1" maxLength:"65536" writeOnly:"true"`
}

// ConnectorPath names a connector.
type ConnectorPath struct {
	ID string `path:"id" doc:"Connector id."`
}

type listConnectorsInput struct {
	PageParams
	Kind    string       `query:"kind"`
	Enabled OptionalBool `query:"enabled"`
	Search  string       `query:"q" doc:"Part of the id or name."`
	Sort    string       `query:"sort" enum:"id,-id,name,-name,kind,-kind,created_at,-created_at,updated_at,-updated_at,secret_updated_at,-secret_updated_at"`
}

func (a *Admin) registerConnectors(api huma.API) {
	tags := []string{"connectors"}
	operation(a, api, huma.Operation{OperationID: "listConnectors", Method: http.MethodGet, Path: "/api/connectors",
		Summary: "List connectors", Tags: tags}, a.listConnectors)
	operation(a, api, huma.Operation{OperationID: "getConnector", Method: http.MethodGet, Path: "/api/connectors/{id}",
		Summary: "Get a connector", Tags: tags, Errors: []int{404}}, a.getConnector)
	operation(a, api, huma.Operation{OperationID: "createConnector", Method: http.MethodPost, Path: "/api/connectors",
		Summary: "Create a connector", Description: "The kind validates the config and the secret; nothing is written when either is wrong.",
		Tags: tags, DefaultStatus: http.StatusCreated, Errors: []int{409, 422}}, a.createConnector)
	operation(a, api, huma.Operation{OperationID: "updateConnector", Method: http.MethodPatch, Path: "/api/connectors/{id}",
		Summary: "Change a connector's settings", Tags: tags, Errors: []int{404, 422}}, a.updateConnector)
	operation(a, api, huma.Operation{OperationID: "setConnectorSecret", Method: http.MethodPut, Path: "/api/connectors/{id}/secret",
		Summary: "Replace a connector's secret", Tags: tags, Errors: []int{404, 422}}, a.setConnectorSecret)
	operation(a, api, huma.Operation{OperationID: "deleteConnector", Method: http.MethodDelete, Path: "/api/connectors/{id}",
		Summary: "Delete a connector and everything synced from it", Tags: tags, DefaultStatus: http.StatusNoContent,
		Errors: []int{404}}, a.deleteConnector)
}

func (a *Admin) listConnectors(ctx context.Context, in *listConnectorsInput) (*body[Page[Connector]], error) {
	o := in.options(in.Sort)
	all, err := a.Store.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(in.Search))
	var rows []sspm.Connector
	for _, c := range all {
		if (in.Kind != "" && string(c.Kind) != in.Kind) || (in.Enabled.IsSet && c.Enabled != in.Enabled.Value) ||
			(q != "" && !strings.Contains(c.ID, q) && !strings.Contains(strings.ToLower(c.Name), q)) {
			continue
		}
		rows = append(rows, c)
	}
	sortConnectors(rows, in.Sort)
	page := Page[Connector]{Items: []Connector{}, Total: int64(len(rows)), Limit: o.Limit, Offset: o.Offset}
	for i := o.Offset; i < len(rows) && i < o.Offset+o.Limit; i++ {
		page.Items = append(page.Items, a.connectorOut(rows[i]))
	}
	return bodyOf(page), nil
}

func sortConnectors(rows []sspm.Connector, sort string) {
	desc := strings.HasPrefix(sort, "-")
	key := strings.TrimPrefix(sort, "-")
	slices.SortStableFunc(rows, func(x, y sspm.Connector) int {
		var c int
		switch key {
		case "name":
			c = strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
		case "kind":
			c = strings.Compare(string(x.Kind), string(y.Kind))
		case "created_at":
			c = x.CreatedAt.Compare(y.CreatedAt)
		case "updated_at":
			c = x.UpdatedAt.Compare(y.UpdatedAt)
		case "secret_updated_at":
			c = x.SecretUpdatedAt.Compare(y.SecretUpdatedAt)
		}
		if c == 0 {
			c = strings.Compare(x.ID, y.ID)
		}
		if desc {
			return -c
		}
		return c
	})
}

func (a *Admin) getConnector(ctx context.Context, in *ConnectorPath) (*body[Connector], error) {
	c, err := a.Store.Connector(ctx, in.ID)
	if err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	return bodyOf(a.connectorOut(c)), nil
}

func (a *Admin) createConnector(ctx context.Context, in *struct{ Body ConnectorCreate }) (*body[Connector], error) {
	b := in.Body
	c := sspm.Connector{ID: b.ID, Kind: sspm.Kind(b.Kind), Name: strings.TrimSpace(b.Name), Enabled: b.Enabled == nil || *b.Enabled,
		DiscoveryEnabled: b.DiscoveryEnabled}
	var err error
	if c.Config, err = configJSON(b.Config); err != nil {
		return nil, err
	}
	if c.Intervals, err = intervals(nil, b.Intervals); err != nil {
		return nil, err
	}
	var secret []byte
	if b.Secret != "" {
		secret = []byte(b.Secret)
	}
	if err := a.Registry.Validate(c, secret); err != nil {
		return nil, err
	}
	kind, err := a.Registry.Lookup(c.Kind)
	if err != nil {
		return nil, err
	}
	c.Authoritative = kind.Authoritative
	if b.Authoritative != nil {
		c.Authoritative = *b.Authoritative
	}
	n := postgres.NewConnector{Connector: c, SecretKeyID: a.keyID()}
	if len(secret) > 0 {
		if n.Secret, err = a.Sealer.Seal(ctx, c.ID, secret); err != nil {
			return nil, fmt.Errorf("seal secret of %s: %w", c.ID, err)
		}
	}
	if kind.Push != nil {
		hook, err := newWebhookSecret()
		if err != nil {
			return nil, err
		}
		hooks, err := a.webhookSealer()
		if err != nil {
			return nil, err
		}
		if n.WebhookSecret, err = hooks.Seal(ctx, c.ID, hook); err != nil {
			return nil, fmt.Errorf("seal webhook secret of %s: %w", c.ID, err)
		}
	}
	created, err := a.Store.CreateConnectorAudited(ctx, n, actor(ctx))
	if err != nil {
		return nil, err
	}
	return bodyOf(a.connectorOut(created)), nil
}

func (a *Admin) updateConnector(ctx context.Context, in *struct {
	ConnectorPath
	Body ConnectorUpdate
}) (*body[Connector], error) {
	b := in.Body
	var secret, sealed []byte
	if b.Secret != "" {
		secret = []byte(b.Secret)
		var err error
		if sealed, err = a.Sealer.Seal(ctx, in.ID, secret); err != nil {
			return nil, fmt.Errorf("seal secret of %s: %w", in.ID, err)
		}
	}
	updated, err := a.Store.UpdateConnectorAndSecretAudited(ctx, in.ID, actor(ctx), sealed, a.keyID(), func(c sspm.Connector) (sspm.Connector, error) {
		saved := c
		if b.Name != nil {
			c.Name = strings.TrimSpace(*b.Name)
		}
		if b.Enabled != nil {
			c.Enabled = *b.Enabled
		}
		if b.DiscoveryEnabled != nil {
			c.DiscoveryEnabled = *b.DiscoveryEnabled
		}
		if b.Authoritative != nil {
			c.Authoritative = *b.Authoritative
		}
		var err error
		if b.Config != nil {
			if c.Config, err = configJSON(b.Config); err != nil {
				return c, err
			}
		}
		if c.Intervals, err = intervals(c.Intervals, b.Intervals); err != nil {
			return c, err
		}
		if err := a.Registry.Validate(c, secret); err != nil {
			return c, err
		}
		if secret == nil {
			return c, a.endpointKept(saved, c)
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return bodyOf(a.connectorOut(updated)), nil
}

func (a *Admin) setConnectorSecret(ctx context.Context, in *struct {
	ConnectorPath
	Body SecretInput
}) (*body[Connector], error) {
	c, err := a.Store.Connector(ctx, in.ID)
	if err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	secret := []byte(in.Body.Secret)
	if err := a.Registry.Validate(c, secret); err != nil {
		return nil, err
	}
	sealed, err := a.Sealer.Seal(ctx, c.ID, secret)
	if err != nil {
		return nil, fmt.Errorf("seal secret of %s: %w", c.ID, err)
	}
	updated, err := a.Store.SetConnectorSecretAudited(ctx, c.ID, sealed, a.keyID(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return bodyOf(a.connectorOut(updated)), nil
}

func (a *Admin) deleteConnector(ctx context.Context, in *ConnectorPath) (*struct{}, error) {
	if err := a.Store.DeleteConnectorAudited(ctx, in.ID, actor(ctx)); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// connectorOut is the response shape of a connector: settings, and of the secret only whether and since when.
func (a *Admin) connectorOut(c sspm.Connector) Connector {
	out := Connector{ID: c.ID, Kind: string(c.Kind), Name: c.Name, Enabled: c.Enabled, DiscoveryEnabled: c.DiscoveryEnabled,
		Authoritative: c.Authoritative, Config: map[string]any{}, Intervals: map[string]int64{}, HasSecret: c.HasSecret,
		SecretUpdatedAt: timePtr(c.SecretUpdatedAt), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	if len(c.Config) > 0 {
		_ = json.Unmarshal(c.Config, &out.Config)
	}
	for l, d := range c.Intervals {
		out.Intervals[string(l)] = int64(d.Seconds())
	}
	if kind, err := a.Registry.Lookup(c.Kind); err == nil {
		out.Push = kind.Push != nil
	}
	if c.HasSecret && !c.SecretUpdatedAt.IsZero() {
		age := a.now().Sub(c.SecretUpdatedAt)
		days := int(age / (24 * time.Hour))
		out.SecretAgeDays = &days
		out.SecretStale = age > a.secretMaxAge()
	}
	return out
}

// configJSON encodes a config object ({} for none).
func configJSON(m map[string]any) (json.RawMessage, error) {
	if m == nil {
		return json.RawMessage(`{}`), nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "config is not a JSON object")
	}
	return b, nil
}

// maxInterval bounds a lane's interval.
const maxInterval = 30 * 24 * time.Hour

// intervals applies per-lane seconds to a connector's intervals: 0 removes the lane's own interval.
func intervals(cur map[sspm.Lane]time.Duration, secs map[string]int64) (map[sspm.Lane]time.Duration, error) {
	out := make(map[sspm.Lane]time.Duration, len(cur)+len(secs))
	for l, d := range cur {
		out[l] = d
	}
	for name, s := range secs {
		l, err := sspm.ParseLane(name)
		if err != nil {
			return nil, err
		}
		if s < 0 || time.Duration(s)*time.Second > maxInterval || s > math.MaxInt32 {
			return nil, sspm.Errorf(sspm.CodeInvalid, "interval of lane %s must be between 0 and %d seconds", name, int64(maxInterval.Seconds()))
		}
		if s == 0 {
			delete(out, l)
			continue
		}
		out[l] = time.Duration(s) * time.Second
	}
	return out, nil
}

// endpointKept refuses next when its provider endpoint is on another host than saved's: the saved secret
// must not go there, so the change needs the secret entered again (CodeInvalid, naming the config field).
func (a *Admin) endpointKept(saved, next sspm.Connector) error {
	kind, err := a.Registry.Lookup(next.Kind)
	if err != nil {
		return err
	}
	return kind.Endpoint.HostChange(saved.Config, next.Config)
}

func connectorNotFound(err error, id string) error {
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return sspm.Errorf(sspm.CodeNotFound, "connector %s not found", id)
	}
	return err
}

func (a *Admin) keyID() string {
	if a.KeyID == nil {
		return ""
	}
	return a.KeyID()
}

// newWebhookSecret returns 32 random bytes, URL-safe base64: the value providers send or sign pushes with.
func newWebhookSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	return []byte(base64.RawURLEncoding.EncodeToString(b)), nil
}
