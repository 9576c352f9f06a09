package google

import (
	"context"
	"encoding/json"
	"strconv"

	admin "google.golang.org/api/admin/directory/v1"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Grant permissions of role assignments.
const (
	PermSuperAdmin = "super_admin"
	PermAdmin      = "admin"
	// ResourceAdminRole is the resource kind of admin roles.
	ResourceAdminRole = "admin_role"
)

// rolesCursor is the position in the roles listing, then in the role assignments listing.
type rolesCursor struct {
	Assignments bool   `json:"a,omitempty"`
	Page        string `json:"page,omitempty"`
}

func roleResourceID(id int64) string { return "role:" + strconv.FormatInt(id, 10) }

// roleGrantScopes are the grants of role assignments, for a run's Unavailable list.
func roleGrantScopes() []sspm.Entity {
	return []sspm.Entity{sspm.ScopedEntity(sspm.EntityGrants, map[string]string{"permission": PermAdmin}),
		sspm.ScopedEntity(sspm.EntityGrants, map[string]string{"permission": PermSuperAdmin})}
}

// rolesStep reads the admin roles → resources, then the role assignments → grants to users and groups
// (super_admin for a role with isSuperAdminRole, else admin).
func (s *Source) rolesStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur rolesCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	unavailable := func(err error, es ...sspm.Entity) (sspm.StepResult, error) {
		res.Unavailable = append(res.Unavailable, es...)
		res.Message = err.Error()
		return res, nil
	}
	if !cur.Assignments {
		call := s.c.dir.Roles.List(s.c.customer).MaxResults(s.pageSize(100)).Context(ctx)
		if cur.Page != "" {
			call = call.PageToken(cur.Page)
		}
		page, err := call.Do()
		if err != nil {
			err = s.c.apiError(ctx, "list admin roles", err)
			if forbiddenErr(err) { // without the roles a grant's permission is unknown
				return unavailable(err, append(roleGrantScopes(), sspm.ScopedEntity(sspm.EntityResources, map[string]string{"kind": ResourceAdminRole}))...)
			}
			return res, err
		}
		if s.roles == nil {
			s.roles = map[string]bool{}
		}
		for _, r := range page.Items {
			raw, _ := json.Marshal(r)
			res.Page.Resources = append(res.Page.Resources, sspm.Resource{ExternalID: roleResourceID(r.RoleId), Kind: ResourceAdminRole, Name: r.RoleName, Raw: raw})
			s.roles[roleResourceID(r.RoleId)] = r.IsSuperAdminRole
		}
		if page.NextPageToken != "" {
			res.Next = encodeCursor(rolesCursor{Page: page.NextPageToken})
		} else {
			res.Next = encodeCursor(rolesCursor{Assignments: true})
		}
		return res, nil
	}
	if s.roles == nil { // resumed by a new source: learn which roles are super admin roles again
		if err := s.loadRoles(ctx); err != nil {
			if forbiddenErr(err) {
				return unavailable(err, roleGrantScopes()...)
			}
			return res, err
		}
	}
	call := s.c.dir.RoleAssignments.List(s.c.customer).MaxResults(s.pageSize(200)).Context(ctx)
	if cur.Page != "" {
		call = call.PageToken(cur.Page)
	}
	page, err := call.Do()
	if err != nil {
		err = s.c.apiError(ctx, "list role assignments", err)
		if forbiddenErr(err) {
			return unavailable(err, roleGrantScopes()...)
		}
		return res, err
	}
	for _, a := range page.Items {
		kind := sspm.MemberAccount
		if a.AssigneeType == "group" {
			kind = sspm.MemberGroup
		}
		perm := PermAdmin
		if s.roles[roleResourceID(a.RoleId)] {
			perm = PermSuperAdmin
		}
		g := sspm.Grant{PrincipalExternalID: a.AssignedTo, PrincipalKind: kind, ResourceExternalID: roleResourceID(a.RoleId), Permission: perm, Via: "direct"}
		if a.ScopeType == "ORG_UNIT" && a.OrgUnitId != "" {
			g.Via, g.ViaExternalID = "org_unit", a.OrgUnitId
		}
		res.Page.Grants = append(res.Page.Grants, g)
	}
	if page.NextPageToken != "" {
		res.Next = encodeCursor(rolesCursor{Assignments: true, Page: page.NextPageToken})
	}
	return res, nil
}

// loadRoles reads every admin role to learn the super admin roles.
func (s *Source) loadRoles(ctx context.Context) error {
	roles := map[string]bool{}
	err := s.c.dir.Roles.List(s.c.customer).MaxResults(100).Pages(ctx, func(p *admin.Roles) error {
		for _, r := range p.Items {
			roles[roleResourceID(r.RoleId)] = r.IsSuperAdminRole
		}
		return nil
	})
	if err != nil {
		return s.c.apiError(ctx, "list admin roles", err)
	}
	s.roles = roles
	return nil
}
