package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type auditStore interface {
	RecordAudit(ctx context.Context, a postgres.Audit) error
	AuditLog(ctx context.Context, f postgres.AuditFilter, o postgres.ListOptions) (postgres.List[postgres.AuditEntry], error)
}

// TestResult is the outcome of reading one page of a connector's first stage.
type TestResult struct {
	OK         bool   `json:"ok"`
	Lane       string `json:"lane,omitempty"`
	Stage      string `json:"stage,omitempty"`
	Rows       int    `json:"rows" doc:"Rows the first page held."`
	Message    string `json:"message" doc:"What happened, safe to show: never a secret."`
	DurationMS int64  `json:"duration_ms"`
}

// TestInput optionally tries settings or a secret before they are saved.
type TestInput struct {
	Config map[string]any `json:"config,omitempty" doc:"Settings to try instead of the saved ones."`
	Secret string         `json:"secret,omitempty" maxLength:"65536" writeOnly:"true" doc:"A secret to try instead of the saved one."`
}

// SyncInput names the lane to run.
type SyncInput struct {
	Lane string `json:"lane,omitempty" enum:"full,discovery" default:"full"`
}

// SyncAccepted says a run was asked for; the connector's runs show its progress.
type SyncAccepted struct {
	ConnectorID string `json:"connector_id"`
	Lane        string `json:"lane"`
	Stream      string `json:"stream,omitempty"`
}

// SyncSkipped is a connector lane "resync now" did not start, and why.
type SyncSkipped struct {
	ConnectorID string `json:"connector_id"`
	Lane        string `json:"lane"`
	Reason      string `json:"reason"`
}

// ResyncResult lists what "resync now" started and skipped.
type ResyncResult struct {
	Started []SyncAccepted `json:"started" nullable:"false"`
	Skipped []SyncSkipped  `json:"skipped" nullable:"false"`
}

// Webhook is what to register with the provider for push deliveries.
type Webhook struct {
	Kind   string `json:"kind"`
	Path   string `json:"path" doc:"Append to the server's public URL: /hooks/{kind}/{connector}."`
	Secret string `json:"secret" doc:"The shared secret the provider sends or signs with."`
}

func (a *Admin) registerConnectorActions(api huma.API) {
	tags := []string{"connectors"}
	operation(a, api, huma.Operation{OperationID: "testConnector", Method: http.MethodPost, Path: "/api/connectors/{id}/test",
		Summary: "Test a connector's connection", Description: "Builds the source and reads one page of its first stage, with the saved settings or the ones given.",
		Tags: tags, Errors: []int{404, 422}}, a.testConnector)
	operation(a, api, huma.Operation{OperationID: "testNewConnector", Method: http.MethodPost, Path: "/api/connector-tests",
		Summary: "Test an unsaved connector's connection", Tags: tags, Errors: []int{422}}, a.testNewConnector)
	operation(a, api, huma.Operation{OperationID: "syncConnector", Method: http.MethodPost, Path: "/api/connectors/{id}/sync",
		Summary: "Run a sync now", Tags: tags, DefaultStatus: http.StatusAccepted, Errors: []int{404, 422, 503}}, a.syncConnector)
	operation(a, api, huma.Operation{OperationID: "resyncAll", Method: http.MethodPost, Path: "/api/sync",
		Summary: "Resync now: every enabled connector, every lane", Tags: tags, DefaultStatus: http.StatusAccepted,
		Errors: []int{503}}, a.resyncAll)
	operation(a, api, huma.Operation{OperationID: "getConnectorWebhook", Method: http.MethodGet, Path: "/api/connectors/{id}/webhook",
		Summary: "The webhook URL path and secret to register with the provider (admins only)", Tags: tags,
		Metadata: map[string]any{metaAdminOnly: true}, Errors: []int{404}}, a.getWebhook)
}

// testTimeout bounds a connection test.
const testTimeout = 30 * time.Second

func (a *Admin) testConnector(ctx context.Context, in *struct {
	ConnectorPath
	Body *TestInput
}) (*body[TestResult], error) {
	c, err := a.Store.Connector(ctx, in.ID)
	if err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	saved := c
	var secret []byte
	if in.Body != nil && in.Body.Secret != "" {
		secret = []byte(in.Body.Secret)
	}
	if in.Body != nil && in.Body.Config != nil {
		if c.Config, err = configJSON(in.Body.Config); err != nil {
			return nil, err
		}
	}
	if err := a.Registry.Validate(c, secret); err != nil {
		return nil, err
	}
	given := secret != nil
	if !given {
		if err := a.endpointKept(saved, c); err != nil { // the saved secret goes only to the saved host
			return nil, err
		}
		if secret, err = a.openSecret(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if !sameJSON(saved.Config, c.Config) {
		// Settings other than the saved ones are tried with the connector's credential: record who tried what,
		// before the provider is called.
		if err := a.Store.RecordAudit(ctx, postgres.Audit{Actor: actor(ctx), Action: "connector.test", TargetType: "connector",
			TargetID: c.ID, Before: map[string]any{"config": saved.Config},
			After: map[string]any{"config": c.Config, "secret_given": given}}); err != nil {
			return nil, err
		}
	}
	return bodyOf(a.probe(ctx, c, secret)), nil
}

// sameJSON reports whether two JSON documents hold the same value (key order and spacing aside).
func sameJSON(x, y json.RawMessage) bool {
	var vx, vy any
	if json.Unmarshal(x, &vx) != nil || json.Unmarshal(y, &vy) != nil {
		return bytes.Equal(x, y)
	}
	return reflect.DeepEqual(vx, vy)
}

func (a *Admin) testNewConnector(ctx context.Context, in *struct{ Body ConnectorCreate }) (*body[TestResult], error) {
	b := in.Body
	c := sspm.Connector{ID: b.ID, Kind: sspm.Kind(b.Kind), Name: b.Name, Enabled: true}
	var err error
	if c.Config, err = configJSON(b.Config); err != nil {
		return nil, err
	}
	var secret []byte
	if b.Secret != "" {
		secret = []byte(b.Secret)
	}
	if err := a.Registry.Validate(c, secret); err != nil {
		return nil, err
	}
	return bodyOf(a.probe(ctx, c, secret)), nil
}

func (a *Admin) openSecret(ctx context.Context, id string) ([]byte, error) {
	sealed, err := a.Store.ConnectorSecret(ctx, id)
	if err != nil || len(sealed) == 0 {
		return nil, err
	}
	plain, err := a.Sealer.Open(ctx, id, sealed)
	if err != nil {
		return nil, fmt.Errorf("open secret of %s: %w", id, err)
	}
	return plain, nil
}

// probe builds a connector's source and reads one page of its first stage. Failures become a message safe to
// show: a connector's domain error message, or a generic one (the cause goes to the log).
func (a *Admin) probe(ctx context.Context, c sspm.Connector, secret []byte) TestResult {
	start := a.now()
	res := a.step(ctx, c, secret)
	res.DurationMS = a.now().Sub(start).Milliseconds()
	return res
}

func (a *Admin) step(ctx context.Context, c sspm.Connector, secret []byte) TestResult {
	kind, err := a.Registry.Lookup(c.Kind)
	if err != nil {
		return TestResult{Message: testMessage(a, c.ID, err)}
	}
	if kind.NewSource == nil {
		return TestResult{Message: "this connector kind has no inventory to read"}
	}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	src, err := kind.NewSource(ctx, c, secret)
	if err != nil {
		return TestResult{Message: testMessage(a, c.ID, err)}
	}
	lane := sspm.LaneFull
	stages := src.Stages(lane)
	if len(stages) == 0 {
		lane, stages = sspm.LaneDiscovery, src.Stages(sspm.LaneDiscovery)
	}
	if len(stages) == 0 {
		return TestResult{Message: "this connector has no stages to read"}
	}
	page, err := src.Step(ctx, lane, stages[0], "")
	r := TestResult{Lane: string(lane), Stage: stages[0]}
	if err != nil {
		r.Message = testMessage(a, c.ID, err)
		return r
	}
	r.OK, r.Rows = true, page.Page.Len()
	r.Message = fmt.Sprintf("read %d rows of %s", r.Rows, stages[0])
	if page.Message != "" {
		r.Message += " (" + page.Message + ")"
	}
	return r
}

// testMessage explains a failed test without leaking anything: connectors' domain messages are written to be
// shown; anything else is logged and summarized.
func testMessage(a *Admin, connectorID string, err error) string {
	var de *sspm.Error
	hasMsg := errors.As(err, &de) && de.Message != ""
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("the provider did not answer within %s", testTimeout)
	case !hasMsg:
		a.logger().Warn("api: connection test failed", "connector", connectorID, "err", err)
		return "the connection test failed; the server log has the details"
	}
	switch de.Code {
	case sspm.CodeUnauthorized:
		return "the provider rejected the credentials: " + de.Message
	case sspm.CodeForbidden:
		return "the credentials lack a permission: " + de.Message
	case sspm.CodeUnavailable:
		return "the provider is unreachable or rate limited: " + de.Message
	}
	return de.Message
}

func (a *Admin) syncConnector(ctx context.Context, in *struct {
	ConnectorPath
	Body *SyncInput
}) (*body[SyncAccepted], error) {
	lane := sspm.LaneFull
	if in.Body != nil && in.Body.Lane != "" {
		l, err := sspm.ParseLane(in.Body.Lane)
		if err != nil {
			return nil, err
		}
		lane = l
	}
	c, err := a.Store.Connector(ctx, in.ID)
	if err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	if reason := a.cannotSync(c, lane); reason != "" {
		return nil, sspm.Errorf(sspm.CodeInvalid, "connector %s: %s", c.ID, reason)
	}
	if a.Invoker == nil {
		return nil, sspm.Errorf(sspm.CodeUnavailable, "no worker is configured to run syncs")
	}
	inv := sspm.Invocation{Lane: lane, ConnectorID: c.ID, Trigger: sspm.TriggerManual}
	if err := a.Invoker.Invoke(ctx, inv); err != nil {
		return nil, &sspm.Error{Code: sspm.CodeUnavailable, Message: "the sync could not be started; try again", Err: err}
	}
	out := SyncAccepted{ConnectorID: c.ID, Lane: string(lane)}
	if err := a.Store.RecordAudit(ctx, postgres.Audit{Actor: actor(ctx), Action: "connector.sync", TargetType: "connector",
		TargetID: c.ID, After: out}); err != nil {
		return nil, err
	}
	return bodyOf(out), nil
}

// cannotSync says why a manual run of lane cannot start, or "". A kind without a discovery lane (see
// connector.Kind.Lanes) never starts a discovery run, whatever the discovery settings say.
func (a *Admin) cannotSync(c sspm.Connector, lane sspm.Lane) string {
	kind, err := a.Registry.Lookup(c.Kind)
	switch {
	case !c.Enabled:
		return "the connector is disabled"
	case lane != sspm.LaneFull && lane != sspm.LaneDiscovery:
		return "only the full and discovery lanes run on request"
	case err != nil || kind.NewSource == nil:
		return "its kind has no inventory to sync"
	case lane == sspm.LaneDiscovery && !slices.Contains(kind.Lanes(), sspm.LaneDiscovery):
		return "its kind has no discovery lane"
	case lane == sspm.LaneDiscovery && !a.DiscoveryEnabled:
		return "discovery is off (set SYNC_DISCOVERY_ENABLED=1)"
	case lane == sspm.LaneDiscovery && !c.DiscoveryEnabled:
		return "discovery is off for this connector"
	}
	return ""
}

func (a *Admin) resyncAll(ctx context.Context, _ *struct{}) (*body[ResyncResult], error) {
	if a.Invoker == nil {
		return nil, sspm.Errorf(sspm.CodeUnavailable, "no worker is configured to run syncs")
	}
	conns, err := a.Store.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	out := ResyncResult{Started: []SyncAccepted{}, Skipped: []SyncSkipped{}}
	invoke := func(inv sspm.Invocation) {
		if err := a.Invoker.Invoke(ctx, inv); err != nil {
			a.logger().Warn("api: resync: invoke", "connector", inv.ConnectorID, "lane", inv.Lane, "err", err)
			out.Skipped = append(out.Skipped, SyncSkipped{ConnectorID: inv.ConnectorID, Lane: string(inv.Lane), Reason: "could not be started"})
			return
		}
		out.Started = append(out.Started, SyncAccepted{ConnectorID: inv.ConnectorID, Lane: string(inv.Lane), Stream: inv.Stream})
	}
	for _, c := range conns {
		for _, lane := range []sspm.Lane{sspm.LaneFull, sspm.LaneDiscovery} {
			if reason := a.cannotSync(c, lane); reason != "" {
				out.Skipped = append(out.Skipped, SyncSkipped{ConnectorID: c.ID, Lane: string(lane), Reason: reason})
				continue
			}
			invoke(sspm.Invocation{Lane: lane, ConnectorID: c.ID, Trigger: sspm.TriggerManual})
		}
		streams, reason := a.streams(ctx, c)
		if reason != "" {
			out.Skipped = append(out.Skipped, SyncSkipped{ConnectorID: c.ID, Lane: string(sspm.LaneTail), Reason: reason})
		}
		for _, s := range streams {
			invoke(sspm.Invocation{Lane: sspm.LaneTail, ConnectorID: c.ID, Stream: s, Trigger: sspm.TriggerManual})
		}
	}
	if err := a.Store.RecordAudit(ctx, postgres.Audit{Actor: actor(ctx), Action: "sync.all", TargetType: "connector",
		TargetID: "*", After: out}); err != nil {
		return nil, err
	}
	return bodyOf(out), nil
}

// streams lists a connector's event streams to tail, or says why there are none.
func (a *Admin) streams(ctx context.Context, c sspm.Connector) ([]string, string) {
	kind, err := a.Registry.Lookup(c.Kind)
	switch {
	case !c.Enabled:
		return nil, "the connector is disabled"
	case err != nil || kind.NewStreams == nil:
		return nil, "its kind has no event stream to tail"
	}
	secret, err := a.openSecret(ctx, c.ID)
	if err != nil {
		a.logger().Warn("api: resync: open secret", "connector", c.ID, "err", err)
		return nil, "its secret could not be opened"
	}
	src, err := kind.NewStreams(ctx, c, secret)
	if err != nil {
		a.logger().Warn("api: resync: build streams", "connector", c.ID, "err", err)
		return nil, "its event streams could not be built"
	}
	return src.Streams(), ""
}

func (a *Admin) getWebhook(ctx context.Context, in *ConnectorPath) (*body[Webhook], error) {
	c, err := a.Store.Connector(ctx, in.ID)
	if err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	sealed, err := a.Store.WebhookSecret(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if len(sealed) == 0 {
		return nil, sspm.Errorf(sspm.CodeNotFound, "connector %s takes no push deliveries", c.ID)
	}
	hooks, err := a.webhookSealer()
	if err != nil {
		return nil, err
	}
	plain, err := hooks.Open(ctx, c.ID, sealed)
	if err != nil {
		return nil, fmt.Errorf("open webhook secret of %s: %w", c.ID, err)
	}
	if err := a.Store.RecordAudit(ctx, postgres.Audit{Actor: actor(ctx), Action: "connector.webhook_secret.read",
		TargetType: "connector", TargetID: c.ID}); err != nil {
		return nil, err
	}
	return bodyOf(Webhook{Kind: string(c.Kind), Path: "/hooks/" + string(c.Kind) + "/" + c.ID, Secret: string(plain)}), nil
}
