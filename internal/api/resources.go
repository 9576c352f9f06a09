package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
)

type resourceStore interface {
	Resources(ctx context.Context, f postgres.ResourceFilter, o postgres.ListOptions) (postgres.List[postgres.ResourceRow], error)
	Resource(ctx context.Context, id int64) (postgres.ResourceRow, error)
	ResourceAccess(ctx context.Context, connectorID, resourceExternalID string, f postgres.AccessFilter, o postgres.ListOptions) (postgres.List[postgres.Access], error)
}

// Resource is something access is granted to: an app, a repository, an AWS account, a permission set.
type Resource struct {
	ID          int64      `json:"id"`
	ConnectorID string     `json:"connector_id"`
	ExternalID  string     `json:"external_id"`
	Kind        string     `json:"kind"`
	Name        string     `json:"name"`
	URL         string     `json:"url,omitempty"`
	FirstSeenAt time.Time  `json:"first_seen_at"`
	SeenAt      time.Time  `json:"seen_at"`
	Expired     bool       `json:"expired"`
	Grants      int64      `json:"grants" doc:"Live grants on it (list only)."`
	Raw         any        `json:"raw,omitempty" doc:"As the source returned it (detail only)."`
	ExpiredAt   *time.Time `json:"expired_at,omitempty"`
}

// Access is who holds access to a resource and how.
type Access struct {
	GrantID             int64  `json:"grant_id"`
	PrincipalKind       string `json:"principal_kind" enum:"account,group"`
	PrincipalExternalID string `json:"principal_external_id"`
	PrincipalName       string `json:"principal_name"`
	PrincipalEmail      string `json:"principal_email,omitempty"`
	IdentityID          *int64 `json:"identity_id,omitempty" doc:"The identity of an account principal."`
	Members             int64  `json:"members" doc:"Live members of a group principal."`
	Permission          string `json:"permission"`
	Via                 string `json:"via" doc:"How the grant is held: direct, effective (the highest role from every source, where the provider cannot tell a direct one apart), group, team, org_base."`
	ViaExternalID       string `json:"via_external_id,omitempty"`
	ViaName             string `json:"via_name,omitempty"`
}

type listResourcesInput struct {
	PageParams
	ConnectorID string `query:"connector"`
	Kind        string `query:"kind" doc:"app, repository, aws_account, permission_set, role, ..."`
	Search      string `query:"q" doc:"Part of the name, external id or URL."`
	Sort        string `query:"sort" enum:"name,-name,kind,-kind,connector_id,-connector_id,first_seen_at,-first_seen_at"`
}

// ResourcePath names a resource.
type ResourcePath struct {
	ID int64 `path:"id"`
}

type resourceAccessInput struct {
	ResourcePath
	PageParams
	Via           string `query:"via"`
	PrincipalKind string `query:"principal_kind" enum:"account,group"`
	Search        string `query:"q" doc:"Part of the principal's name or email."`
	Sort          string `query:"sort" enum:"principal_name,-principal_name,permission,-permission,via,-via"`
}

func (a *Admin) registerResources(api huma.API) {
	tags := []string{"resources"}
	operation(a, api, huma.Operation{OperationID: "listResources", Method: http.MethodGet, Path: "/api/resources",
		Summary: "Apps, repositories, accounts and permission sets across sources", Tags: tags, Errors: []int{422}}, a.listResources)
	operation(a, api, huma.Operation{OperationID: "getResource", Method: http.MethodGet, Path: "/api/resources/{id}",
		Summary: "A resource", Tags: tags, Errors: []int{404}}, a.getResource)
	operation(a, api, huma.Operation{OperationID: "listResourceAccess", Method: http.MethodGet, Path: "/api/resources/{id}/access",
		Summary: "Who holds access to a resource and how (direct, group, team)", Tags: tags, Errors: []int{404, 422}}, a.listResourceAccess)
}

func (a *Admin) listResources(ctx context.Context, in *listResourcesInput) (*body[Page[Resource]], error) {
	o := in.options(in.Sort)
	l, err := a.Store.Resources(ctx, postgres.ResourceFilter{ConnectorID: in.ConnectorID, Kind: in.Kind, Search: in.Search}, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, resourceOut)), nil
}

func resourceOut(r postgres.ResourceRow) Resource {
	out := Resource{ID: r.ID, ConnectorID: r.ConnectorID, ExternalID: r.ExternalID, Kind: r.Kind, Name: r.Name, URL: r.URL,
		FirstSeenAt: r.FirstSeenAt.UTC(), SeenAt: r.SeenAt.UTC(), Expired: !r.ExpiredAt.IsZero(), ExpiredAt: timePtr(r.ExpiredAt),
		Grants: r.Grants}
	if len(r.Raw) > 0 {
		_ = json.Unmarshal(r.Raw, &out.Raw)
	}
	return out
}

func (a *Admin) getResource(ctx context.Context, in *ResourcePath) (*body[Resource], error) {
	r, err := a.Store.Resource(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return bodyOf(resourceOut(r)), nil
}

func (a *Admin) listResourceAccess(ctx context.Context, in *resourceAccessInput) (*body[Page[Access]], error) {
	r, err := a.Store.Resource(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	o := in.options(in.Sort)
	l, err := a.Store.ResourceAccess(ctx, r.ConnectorID, r.ExternalID, postgres.AccessFilter{Via: in.Via, PrincipalKind: in.PrincipalKind, Search: in.Search}, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, func(x postgres.Access) Access {
		return Access{GrantID: x.GrantID, PrincipalKind: x.PrincipalKind, PrincipalExternalID: x.PrincipalExternalID,
			PrincipalName: x.PrincipalName, PrincipalEmail: x.PrincipalEmail, IdentityID: x.IdentityID, Members: x.Members,
			Permission: x.Permission, Via: x.Via, ViaExternalID: x.ViaExternalID, ViaName: x.ViaName}
	})), nil
}
