package datadog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Admin grades of a role, from its permissions (AdminGrade).
const (
	// GradeSuper is the Datadog Admin Role, or any role holding the "admin" permission: everything.
	GradeSuper = "super"
	// GradePrivileged is a role holding an admin-grade permission (AdminGradePermissions) under any name.
	GradePrivileged = "privileged"
)

// RoleAdmin is the name of Datadog's managed admin role.
const RoleAdmin = "Datadog Admin Role"

// AdminGradePermissions are the permissions that let a role's holders manage the organization's access: users
// and their roles, keys, service accounts, organization settings and billing. Holding any one makes a role
// privileged, whatever its name.
var AdminGradePermissions = []string{
	"org_management", "user_access_manage", "user_access_invite", "api_keys_write", "org_app_keys_write",
	"service_account_write", "billing_edit", "user_app_keys_write", "saml_configuration_write",
}

// AdminGrade is a role's admin grade: GradeSuper, GradePrivileged or "".
func AdminGrade(name string, permissions []string) string {
	if name == RoleAdmin || slices.Contains(permissions, "admin") {
		return GradeSuper
	}
	for _, p := range permissions {
		if slices.Contains(AdminGradePermissions, p) {
			return GradePrivileged
		}
	}
	return ""
}

// roleInfo is a role as the users stage needs it.
type roleInfo struct {
	ID, Name    string
	Permissions []string
	Grade       string
}

// roleSet is what the source learned of the organization's roles.
type roleSet struct {
	perms map[string]string // permission id → name
	byID  map[string]*roleInfo
	// next is the roles page this source reads next; complete says every page was read in order.
	next     int
	complete bool
}

// resource is a JSON:API resource object as Datadog's listings return it; attributes stay raw.
type resource struct {
	ID            string                     `json:"id"`
	Type          string                     `json:"type"`
	Attributes    json.RawMessage            `json:"attributes"`
	Relationships map[string]json.RawMessage `json:"relationships"`
}

// listing is a JSON:API listing answer.
type listing struct {
	Data     []resource `json:"data"`
	Included []resource `json:"included"`
	Meta     struct {
		Page struct {
			TotalFiltered *int `json:"total_filtered_count"`
		} `json:"page"`
	} `json:"meta"`
}

// more reports whether a page-number listing has a page after page (0-based), whose answer was l: the page came
// back full and, when Datadog reports the listing's length (meta.page.total_filtered_count), it lies beyond the
// page. Without a length, a full page is followed by another until one comes back short or empty.
func (s *Source) more(l listing, page int) bool {
	if len(l.Data) < s.pageSize {
		return false
	}
	if t := l.Meta.Page.TotalFiltered; t != nil && (page+1)*s.pageSize >= *t {
		return false
	}
	return true
}

// relIDs returns the ids of a to-many (or to-one) relationship.
func (r resource) relIDs(name string) []string {
	raw, ok := r.Relationships[name]
	if !ok {
		return nil
	}
	var many struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(raw, &many) == nil {
		out := make([]string, 0, len(many.Data))
		for _, d := range many.Data {
			if d.ID != "" {
				out = append(out, d.ID)
			}
		}
		return out
	}
	var one struct {
		Data *struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(raw, &one) == nil && one.Data != nil && one.Data.ID != "" {
		return []string{one.Data.ID}
	}
	return nil
}

func decodeListing(op string, body []byte) (listing, error) {
	var l listing
	if err := json.Unmarshal(body, &l); err != nil {
		return listing{}, sspm.Errorf(sspm.CodeUnavailable, "datadog %s: malformed answer", op)
	}
	for _, r := range l.Data {
		if r.ID == "" {
			return listing{}, sspm.Errorf(sspm.CodeUnavailable, "datadog %s: an item without id", op)
		}
	}
	return l, nil
}

// loadPermissions reads the permission catalogue (GET /api/v2/permissions, one answer): role listings name
// permissions by id.
func (s *Source) loadPermissions(ctx context.Context) (map[string]string, error) {
	body, _, err := s.c.call(ctx, "list permissions", PermUserAccessRead, func(ctx context.Context) (*http.Response, error) {
		_, resp, err := s.c.roles.ListPermissions(ctx)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	l, err := decodeListing("list permissions", body)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(l.Data))
	for _, p := range l.Data {
		var a struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(p.Attributes, &a) != nil || a.Name == "" {
			return nil, sspm.Errorf(sspm.CodeUnavailable, "datadog list permissions: a permission without name")
		}
		out[p.ID] = a.Name
	}
	return out, nil
}

// rolePage reads one page of roles (GET /api/v2/roles, with their permissions' ids).
func (s *Source) rolePage(ctx context.Context, perms map[string]string, page int) ([]roleInfo, []resource, bool, error) {
	body, _, err := s.c.call(ctx, "list roles", PermUserAccessRead, func(ctx context.Context) (*http.Response, error) {
		_, resp, err := s.c.roles.ListRoles(ctx, *datadogV2.NewListRolesOptionalParameters().
			WithPageSize(int64(s.pageSize)).WithPageNumber(int64(page)))
		return resp, err
	})
	if err != nil {
		return nil, nil, false, err
	}
	l, err := decodeListing("list roles", body)
	if err != nil {
		return nil, nil, false, err
	}
	out := make([]roleInfo, 0, len(l.Data))
	for _, r := range l.Data {
		var a struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(r.Attributes, &a) != nil || a.Name == "" {
			return nil, nil, false, sspm.Errorf(sspm.CodeUnavailable, "datadog list roles: role %s without name", r.ID)
		}
		info := roleInfo{ID: r.ID, Name: a.Name}
		for _, pid := range r.relIDs("permissions") {
			name, ok := perms[pid]
			if !ok { // a permission newer than the catalogue we read: read it again
				return nil, nil, false, errStaleCatalogue
			}
			info.Permissions = append(info.Permissions, name)
		}
		slices.Sort(info.Permissions)
		info.Grade = AdminGrade(info.Name, info.Permissions)
		out = append(out, info)
	}
	return out, l.Data, s.more(l, page), nil
}

var errStaleCatalogue = sspm.Errorf(sspm.CodeUnavailable, "datadog list roles: a role holds a permission the permission catalogue does not list")

// readRolePage reads a page of roles with the catalogue, reading the catalogue again once when a role names a
// permission it does not list.
func (s *Source) readRolePage(ctx context.Context, page int) ([]roleInfo, []resource, bool, error) {
	if s.roles == nil || s.roles.perms == nil || page == 0 {
		perms, err := s.loadPermissions(ctx)
		if err != nil {
			return nil, nil, false, err
		}
		if s.roles == nil || page == 0 {
			s.roles = &roleSet{byID: map[string]*roleInfo{}}
		}
		s.roles.perms = perms
	}
	infos, items, more, err := s.rolePage(ctx, s.roles.perms, page)
	if err == errStaleCatalogue {
		if s.roles.perms, err = s.loadPermissions(ctx); err != nil {
			return nil, nil, false, err
		}
		infos, items, more, err = s.rolePage(ctx, s.roles.perms, page)
	}
	if err != nil {
		return nil, nil, false, err
	}
	if page != s.roles.next { // resumed mid-stage: the earlier pages are not known to this source
		s.roles.next = -1
	} else {
		s.roles.next++
	}
	for i := range infos {
		s.roles.byID[infos[i].ID] = &infos[i]
	}
	if !more && s.roles.next > 0 {
		s.roles.complete = true
	}
	return infos, items, more, nil
}

// ensureRoles makes sure the source knows every role (the users stage of a resumed run).
func (s *Source) ensureRoles(ctx context.Context) error {
	if s.roles != nil && s.roles.complete {
		return nil
	}
	for page := 0; ; page++ {
		_, _, more, err := s.readRolePage(ctx, page)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		if page > 10000 {
			return sspm.Errorf(sspm.CodeUnavailable, "datadog list roles: the listing never ends")
		}
	}
}

// rolesStep reads one page of roles: each role is a group (kind role, with its permissions and admin grade in
// its raw form) granted its name as a permission on the organization resource. The first page also emits the
// organization resource.
func (s *Source) rolesStep(ctx context.Context, cur pageCursor) (sspm.StepResult, error) {
	if cur.Page < 0 {
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "datadog: malformed roles cursor")
	}
	infos, items, more, err := s.readRolePage(ctx, cur.Page)
	if err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	if cur.Page == 0 {
		raw, _ := json.Marshal(map[string]string{"site": s.c.s.Site, "api": s.c.s.base().String()})
		res.Page.Resources = append(res.Page.Resources, sspm.Resource{ExternalID: OrgResourceID, Kind: "org",
			Name: "Datadog organization (" + s.c.s.Site + ")", URL: appURL(s.c.s), Raw: raw})
	}
	seen := map[string]bool{} // a listing that shifted between pages can repeat a role
	for i, info := range infos {
		if seen[info.ID] {
			continue
		}
		seen[info.ID] = true
		var a struct {
			UserCount  *int       `json:"user_count"`
			CreatedAt  *time.Time `json:"created_at"`
			ModifiedAt *time.Time `json:"modified_at"`
		}
		_ = json.Unmarshal(items[i].Attributes, &a) // optional fields
		perms := info.Permissions
		if perms == nil {
			perms = []string{}
		}
		raw, err := json.Marshal(map[string]any{"id": info.ID, "name": info.Name, "permissions": perms,
			"admin_tier": tierOf(info.Grade), "user_count": a.UserCount, "created_at": a.CreatedAt, "modified_at": a.ModifiedAt})
		if err != nil {
			return sspm.StepResult{}, fmt.Errorf("datadog: encode role: %w", err)
		}
		desc := ""
		switch info.Grade {
		case GradeSuper:
			desc = "admin role: every permission"
		case GradePrivileged:
			desc = "admin-grade permissions"
		}
		res.Page.Groups = append(res.Page.Groups, sspm.Group{ExternalID: info.ID, Kind: "role", Name: info.Name, Description: desc, Raw: raw})
		res.Page.Grants = append(res.Page.Grants, sspm.Grant{PrincipalExternalID: info.ID, PrincipalKind: sspm.MemberGroup,
			ResourceExternalID: OrgResourceID, Permission: info.Name, Via: "direct"})
	}
	if more {
		res.Next = encodeCursor(pageCursor{Page: cur.Page + 1})
	}
	return res, nil
}

// appURL is the organization's web address on its site ("" for a simulator).
func appURL(s settings) string {
	if _, ok := Sites[trimAPI(s.host)]; ok {
		if trimAPI(s.host) == "datadoghq.com" || trimAPI(s.host) == "datadoghq.eu" || trimAPI(s.host) == "ddog-gov.com" {
			return "https://app." + trimAPI(s.host)
		}
		return "https://" + trimAPI(s.host)
	}
	return ""
}

func trimAPI(host string) string {
	if len(host) > 4 && host[:4] == "api." {
		return host[4:]
	}
	return host
}
