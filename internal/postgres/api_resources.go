package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// ResourceFilter narrows the resources list.
type ResourceFilter struct {
	ConnectorID, Kind, Search string
}

// ResourceRow is a live resource with the number of live grants on it.
type ResourceRow struct {
	ID                                       int64
	ConnectorID, ExternalID, Kind, Name, URL string
	FirstSeenAt, SeenAt, ExpiredAt           time.Time
	Grants                                   int64
	Raw                                      json.RawMessage // only in Resource
}

// Resources lists live resources (sort: name, kind, connector_id, first_seen_at).
func (db *DB) Resources(ctx context.Context, f ResourceFilter, o ListOptions) (List[ResourceRow], error) {
	o, err := o.check("name", "kind", "connector_id", "first_seen_at")
	if err != nil {
		return List[ResourceRow]{}, err
	}
	p := sqlgen.APIListResourcesParams{ConnectorID: f.ConnectorID, Kind: f.Kind, Search: searchPattern(f.Search), Sort: o.Sort}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIListResourcesRow, error) {
		p.MaxRows, p.Skip = limit, offset
		return db.q.APIListResources(ctx, p)
	}, func(r sqlgen.APIListResourcesRow) int64 { return r.Total }, func(r sqlgen.APIListResourcesRow) ResourceRow {
		return ResourceRow{ID: r.ID, ConnectorID: r.ConnectorID, ExternalID: r.ExternalID, Kind: r.Kind, Name: r.Name, URL: r.Url,
			FirstSeenAt: fromTS(r.FirstSeenAt), SeenAt: fromTS(r.SeenAt), Grants: r.Grants}
	})
	if err != nil {
		return l, fmt.Errorf("list resources: %w", err)
	}
	return l, nil
}

// Resource returns one resource (live or expired) with its raw body.
func (db *DB) Resource(ctx context.Context, id int64) (ResourceRow, error) {
	r, err := db.q.APIGetResource(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return ResourceRow{}, sspm.Errorf(sspm.CodeNotFound, "resource %d not found", id)
	}
	if err != nil {
		return ResourceRow{}, fmt.Errorf("resource %d: %w", id, err)
	}
	return ResourceRow{ID: r.ID, ConnectorID: r.ConnectorID, ExternalID: r.ExternalID, Kind: r.Kind, Name: r.Name, URL: r.Url,
		FirstSeenAt: fromTS(r.FirstSeenAt), SeenAt: fromTS(r.SeenAt), ExpiredAt: fromTS(r.ExpiredAt), Raw: r.Raw}, nil
}

// AccessFilter narrows who holds access to a resource.
type AccessFilter struct {
	Via           string // direct, group, team, org_base
	PrincipalKind string // account, group
	Search        string
}

// Access is one grant on a resource: who holds it (an account, with its identity, or a group, with its member
// count), which permission, and how.
type Access struct {
	GrantID                                 int64
	PrincipalKind, PrincipalExternalID      string
	PrincipalName, PrincipalEmail           string
	IdentityID                              *int64
	Members                                 int64
	Permission, Via, ViaExternalID, ViaName string
}

// ResourceAccess lists the live grants on a resource (sort: principal_name, permission, via).
func (db *DB) ResourceAccess(ctx context.Context, connectorID, resourceExternalID string, f AccessFilter, o ListOptions) (List[Access], error) {
	o, err := o.check("principal_name", "permission", "via")
	if err != nil {
		return List[Access]{}, err
	}
	p := sqlgen.APIResourceAccessParams{ConnectorID: connectorID, ResourceExternalID: resourceExternalID, Via: f.Via,
		PrincipalKind: f.PrincipalKind, Search: searchPattern(f.Search), Sort: o.Sort}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIResourceAccessRow, error) {
		p.MaxRows, p.Skip = limit, offset
		return db.q.APIResourceAccess(ctx, p)
	}, func(r sqlgen.APIResourceAccessRow) int64 { return r.Total }, func(r sqlgen.APIResourceAccessRow) Access {
		return Access{GrantID: r.ID, PrincipalKind: r.PrincipalKind, PrincipalExternalID: r.PrincipalExternalID,
			PrincipalName: r.PrincipalName, PrincipalEmail: r.PrincipalEmail, IdentityID: int64Ptr(r.IdentityID), Members: r.Members,
			Permission: r.Permission, Via: r.Via, ViaExternalID: r.ViaExternalID, ViaName: r.ViaName}
	})
	if err != nil {
		return l, fmt.Errorf("access to %s/%s: %w", connectorID, resourceExternalID, err)
	}
	return l, nil
}
