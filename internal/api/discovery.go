package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type discoveryStore interface {
	SaaSApps(ctx context.Context, f postgres.AppFilter, o postgres.ListOptions) (postgres.List[sspm.SaaSApp], error)
	SaaSApp(ctx context.Context, key string) (sspm.SaaSApp, error)
	Hotspots(ctx context.Context, minScore, limit int) ([]sspm.SaaSApp, error)
	AppEvidence(ctx context.Context, appKey string, o postgres.ListOptions) (postgres.List[postgres.AppEvidenceRow], error)
	AppBindingsOf(ctx context.Context, appKey string) ([]postgres.AppBindingRow, error)
	SetAppGovernance(ctx context.Context, key string, g sspm.AppGovernance, bindConnector, actor string) (sspm.SaaSApp, error)
}

// App is a discovered SaaS app: what the discovery lane computed and what people decided.
type App struct {
	Key                     string     `json:"key"`
	DisplayName             string     `json:"display_name"`
	Vendor                  string     `json:"vendor,omitempty"`
	Domain                  string     `json:"domain,omitempty"`
	Sources                 []string   `json:"sources" nullable:"false" doc:"Connectors with evidence."`
	FirstSeenAt             time.Time  `json:"first_seen_at"`
	LastSeenAt              time.Time  `json:"last_seen_at"`
	Actors30d               int        `json:"actors_30d"`
	Scopes                  []string   `json:"scopes" nullable:"false"`
	PrivilegedScopes        []string   `json:"privileged_scopes" nullable:"false"`
	ConfidentialScopes      []string   `json:"confidential_scopes" nullable:"false"`
	SuggestedCriticality    string     `json:"suggested_criticality"`
	SuggestedClassification string     `json:"suggested_classification"`
	ManagedState            string     `json:"managed_state"`
	ManagedConnectorID      string     `json:"managed_connector_id,omitempty"`
	RiskScore               int        `json:"risk_score"`
	RiskLevel               string     `json:"risk_level"`
	Governance              Governance `json:"governance"`
}

// Governance is what people decide about a discovered app.
type Governance struct {
	OwnerIdentityID *int64 `json:"owner_identity_id,omitempty"`
	Criticality     string `json:"criticality" enum:"unknown,low,medium,high,critical"`
	Classification  string `json:"classification" enum:"unknown,public,internal,confidential,restricted"`
	State           string `json:"state" enum:"sanctioned,unsanctioned,under_review,ignored"`
	Notes           string `json:"notes"`
}

// AppDetail is an app with its bindings and evidence.
type AppDetail struct {
	App
	Bindings []AppBinding   `json:"bindings" nullable:"false"`
	Evidence Page[Evidence] `json:"evidence"`
}

// AppBinding ties an app to the connector that manages it.
type AppBinding struct {
	ConnectorID string    `json:"connector_id"`
	Manual      bool      `json:"manual"`
	Confidence  float64   `json:"confidence"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Evidence is a sign-in or OAuth grant that shows an app in use.
type Evidence struct {
	ConnectorID string    `json:"connector_id"`
	Kind        string    `json:"kind" enum:"sso,oauth_grant"`
	AppID       string    `json:"app_id,omitempty"`
	AppName     string    `json:"app_name,omitempty"`
	ActorID     string    `json:"actor_id,omitempty"`
	ActorEmail  string    `json:"actor_email,omitempty"`
	Scopes      []string  `json:"scopes" nullable:"false"`
	Occurrences int64     `json:"occurrences"`
	FirstSeenAt time.Time `json:"first_seen_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
}

// GovernanceUpdate changes an app's governance; absent fields stay as they are.
type GovernanceUpdate struct {
	OwnerIdentityID *int64  `json:"owner_identity_id,omitempty" doc:"0 clears the owner."`
	Criticality     *string `json:"criticality,omitempty" enum:"unknown,low,medium,high,critical"`
	Classification  *string `json:"classification,omitempty" enum:"unknown,public,internal,confidential,restricted"`
	State           *string `json:"state,omitempty" enum:"sanctioned,unsanctioned,under_review,ignored"`
	Notes           *string `json:"notes,omitempty" maxLength:"10000"`
	BindConnector   string  `json:"bind_connector,omitempty" doc:"Bind the app to this connector by hand; \"-\" removes manual bindings."`
}

type listAppsInput struct {
	PageParams
	State        string `query:"state" enum:"sanctioned,unsanctioned,under_review,ignored"`
	ManagedState string `query:"managed_state"`
	RiskLevel    string `query:"risk_level" enum:"low,medium,high,critical"`
	Search       string `query:"q" doc:"Part of the name, domain or key."`
	Sort         string `query:"sort" enum:"risk_score,-risk_score,display_name,-display_name,last_seen_at,-last_seen_at,first_seen_at,-first_seen_at,actors_30d,-actors_30d"`
}

type hotspotsInput struct {
	MinScore int `query:"min_score" minimum:"0" maximum:"100" default:"50"`
	Limit    int `query:"limit" minimum:"1" maximum:"100" default:"10"`
}

// AppPath names a discovered app.
type AppPath struct {
	Key string `path:"key" doc:"The app's key (percent-encoded)."`
}

type appDetailInput struct {
	AppPath
	PageParams
}

func (a *Admin) registerDiscovery(api huma.API) {
	tags := []string{"discovery"}
	operation(a, api, huma.Operation{OperationID: "listApps", Method: http.MethodGet, Path: "/api/discovery/apps",
		Summary: "Discovered SaaS apps, riskiest first", Tags: tags, Errors: []int{422}}, a.listApps)
	operation(a, api, huma.Operation{OperationID: "listHotspots", Method: http.MethodGet, Path: "/api/discovery/hotspots",
		Summary: "The riskiest recently seen apps", Tags: tags}, a.hotspots)
	operation(a, api, huma.Operation{OperationID: "getApp", Method: http.MethodGet, Path: "/api/discovery/apps/{key}",
		Summary: "An app with its bindings and a page of its evidence (limit and offset page the evidence)", Tags: tags,
		Errors: []int{404}}, a.getApp)
	operation(a, api, huma.Operation{OperationID: "updateAppGovernance", Method: http.MethodPatch, Path: "/api/discovery/apps/{key}/governance",
		Summary: "Decide about an app: owner, criticality, classification, state, notes, manual binding", Tags: tags,
		Errors: []int{404, 422}}, a.updateGovernance)
}

func (a *Admin) listApps(ctx context.Context, in *listAppsInput) (*body[Page[App]], error) {
	o := in.options(in.Sort)
	l, err := a.Store.SaaSApps(ctx, postgres.AppFilter{State: in.State, ManagedState: in.ManagedState, RiskLevel: in.RiskLevel, Search: in.Search}, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, appOut)), nil
}

func (a *Admin) hotspots(ctx context.Context, in *hotspotsInput) (*body[[]App], error) {
	apps, err := a.Store.Hotspots(ctx, in.MinScore, in.Limit)
	if err != nil {
		return nil, err
	}
	out := make([]App, len(apps))
	for i, x := range apps {
		out[i] = appOut(x)
	}
	return bodyOf(out), nil
}

func (a *Admin) getApp(ctx context.Context, in *appDetailInput) (*body[AppDetail], error) {
	app, err := a.Store.SaaSApp(ctx, in.Key)
	if err != nil {
		return nil, appNotFound(err, in.Key)
	}
	bindings, err := a.Store.AppBindingsOf(ctx, in.Key)
	if err != nil {
		return nil, err
	}
	o := in.options("")
	ev, err := a.Store.AppEvidence(ctx, in.Key, o)
	if err != nil {
		return nil, err
	}
	out := AppDetail{App: appOut(app), Bindings: make([]AppBinding, len(bindings))}
	for i, b := range bindings {
		out.Bindings[i] = AppBinding{ConnectorID: b.ConnectorID, Manual: b.Manual, Confidence: b.Confidence, CreatedBy: b.CreatedBy,
			CreatedAt: b.CreatedAt.UTC()}
	}
	out.Evidence = pageOf(ev, o, func(e postgres.AppEvidenceRow) Evidence {
		return Evidence{ConnectorID: e.ConnectorID, Kind: e.Kind, AppID: e.AppID, AppName: e.AppName, ActorID: e.ActorID,
			ActorEmail: e.ActorEmail, Scopes: nonNil(e.Scopes), Occurrences: e.Occurrences, FirstSeenAt: e.FirstSeenAt.UTC(),
			LastSeenAt: e.LastSeenAt.UTC()}
	})
	return bodyOf(out), nil
}

func (a *Admin) updateGovernance(ctx context.Context, in *struct {
	AppPath
	Body GovernanceUpdate
}) (*body[App], error) {
	cur, err := a.Store.SaaSApp(ctx, in.Key)
	if err != nil {
		return nil, appNotFound(err, in.Key)
	}
	g, b := cur.Governance, in.Body
	if b.OwnerIdentityID != nil {
		g.OwnerIdentityID = b.OwnerIdentityID
		if *b.OwnerIdentityID == 0 {
			g.OwnerIdentityID = nil
		}
	}
	if b.Criticality != nil {
		g.Criticality = *b.Criticality
	}
	if b.Classification != nil {
		g.Classification = *b.Classification
	}
	if b.State != nil {
		g.State = *b.State
	}
	if b.Notes != nil {
		g.Notes = *b.Notes
	}
	if b.BindConnector != "" && b.BindConnector != "-" {
		if _, err := a.Store.Connector(ctx, b.BindConnector); err != nil {
			return nil, connectorNotFound(err, b.BindConnector)
		}
	}
	if g.OwnerIdentityID != nil {
		if _, err := a.Store.Identity(ctx, *g.OwnerIdentityID); err != nil {
			if sspm.ErrorCode(err) == sspm.CodeNotFound {
				return nil, sspm.Errorf(sspm.CodeInvalid, "owner identity %d not found", *g.OwnerIdentityID)
			}
			return nil, err
		}
	}
	app, err := a.Store.SetAppGovernance(ctx, in.Key, g, b.BindConnector, actor(ctx))
	if err != nil {
		return nil, appNotFound(err, in.Key)
	}
	return bodyOf(appOut(app)), nil
}

func appNotFound(err error, key string) error {
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return sspm.Errorf(sspm.CodeNotFound, "app %s not found", key)
	}
	return err
}

func appOut(x sspm.SaaSApp) App {
	return App{Key: x.Key, DisplayName: x.DisplayName, Vendor: x.Vendor, Domain: x.Domain, Sources: nonNil(x.Sources),
		FirstSeenAt: x.FirstSeenAt.UTC(), LastSeenAt: x.LastSeenAt.UTC(), Actors30d: x.Actors30d, Scopes: nonNil(x.Scopes),
		PrivilegedScopes: nonNil(x.PrivilegedScopes), ConfidentialScopes: nonNil(x.ConfidentialScopes),
		SuggestedCriticality: x.SuggestedCriticality, SuggestedClassification: x.SuggestedClassification,
		ManagedState: x.ManagedState, ManagedConnectorID: x.ManagedConnectorID, RiskScore: x.RiskScore, RiskLevel: x.RiskLevel,
		Governance: Governance{OwnerIdentityID: x.Governance.OwnerIdentityID, Criticality: x.Governance.Criticality,
			Classification: x.Governance.Classification, State: x.Governance.State, Notes: x.Governance.Notes}}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
