package entrasim

import (
	"net/http"
	"sort"
)

// Application permissions of the app, role and report datasets.
var (
	rolesApps   = []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	rolesGrants = []string{"DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	rolesRoles  = []string{"RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.Read.All", "Directory.ReadWrite.All"}
	rolesMFA    = []string{"AuditLog.Read.All", "UserAuthenticationMethod.Read.All"}
)

// appRoutes are the routes of applications, service principals, grants, roles and MFA registration.
func (s *Server) appRoutes() []route {
	return []route{
		{pattern: "/v1.0/applications", roles: rolesApps, cost: 2, h: s.recordList("applications", "Application", func(a *appsDir) []record { return a.apps }, setOf("id", "appId", "displayName"))},
		{pattern: "/v1.0/applications/{id}/owners", roles: rolesApps, cost: 1, h: s.listOwners},
		{pattern: "/v1.0/servicePrincipals", roles: rolesApps, cost: 1, h: s.recordList("servicePrincipals", "ServicePrincipal", func(a *appsDir) []record { return a.sps }, setOf("id", "appId", "displayName", "servicePrincipalType", "accountEnabled"))},
		{pattern: "/v1.0/servicePrincipals/{id}", roles: rolesApps, cost: 1, h: s.getServicePrincipal},
		{pattern: "/v1.0/servicePrincipals/{id}/owners", roles: rolesApps, cost: 1, h: s.listOwners},
		{pattern: "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", roles: rolesApps, cost: 1, h: s.listAssignedTo},
		{pattern: "/v1.0/oauth2PermissionGrants", roles: rolesGrants, cost: 2, h: s.recordList("oauth2PermissionGrants", "OAuth2PermissionGrant", func(a *appsDir) []record { return a.grants }, setOf("id", "clientId", "consentType", "principalId", "resourceId"))},
		{pattern: "/v1.0/roleManagement/directory/roleDefinitions", roles: rolesRoles, cost: 1, h: s.recordList("roleManagement/directory/roleDefinitions", "UnifiedRoleDefinition", func(a *appsDir) []record { return a.roleDefs }, setOf("id", "displayName", "templateId", "isBuiltIn"))},
		{pattern: "/v1.0/roleManagement/directory/roleAssignments", roles: rolesRoles, cost: 1, h: s.recordList("roleManagement/directory/roleAssignments", "UnifiedRoleAssignment", func(a *appsDir) []record { return a.roleAssigns }, setOf("id", "principalId", "roleDefinitionId", "directoryScopeId"))},
		{pattern: "/v1.0/directoryRoles", roles: rolesRoles, cost: 1, h: s.recordList("directoryRoles", "DirectoryRole", func(a *appsDir) []record { return a.dirRoles }, setOf("id", "displayName", "roleTemplateId"))},
		{pattern: "/v1.0/directoryRoles/{id}/members", roles: rolesRoles, cost: 1, h: s.listRoleMembers},
		{pattern: "/v1.0/auditLogs/signIns", roles: rolesAudit, cost: 1, report: true, h: s.premium(s.listSignIns)},
		{pattern: "/v1.0/auditLogs/directoryAudits", roles: rolesAudit, cost: 1, report: true, h: s.listDirectoryAudits},
		{pattern: "/v1.0/reports/authenticationMethods/userRegistrationDetails", roles: rolesMFA, cost: 1, h: s.premium(s.recordList("reports/authenticationMethods/userRegistrationDetails", "UserRegistrationDetails", func(a *appsDir) []record { return a.registered }, setOf("id", "userPrincipalName", "userType", "isAdmin", "isMfaRegistered", "isMfaCapable")))},
	}
}

// premium refuses a P1-licensed dataset on a tenant without Entra ID P1, as Graph does.
func (s *Server) premium(h func(http.ResponseWriter, *http.Request, *call)) func(http.ResponseWriter, *http.Request, *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		if s.opts.WithoutP1 {
			s.graphError(w, r, http.StatusForbidden, codeNonPremium, "Neither tenant is B2C or tenant doesn't have premium license")
			return
		}
		h(w, r, c)
	}
}

// recordListing pages a slice of records (all with the same properties); every property may be selected, and
// all are the default.
func recordListing(res, entity string, rs []record, filterable map[string]bool) listing {
	props := map[string]bool{}
	if len(rs) > 0 {
		for k := range rs[0] {
			props[k] = true
		}
	}
	var defaults []string
	for k := range props {
		defaults = append(defaults, k)
	}
	sort.Strings(defaults)
	return listing{res: res, entity: entity, context: res, props: props, filterable: filterable, defaults: defaults,
		length: len(rs), at: func(i int) (item, string, bool) { return rs[i], "", true }}
}

func (s *Server) recordList(res, entity string, of func(*appsDir) []record, filterable map[string]bool) func(http.ResponseWriter, *http.Request, *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		rs, a := of(s.apps), s.apps
		l := recordListing(res, entity, rs, filterable)
		l.at = func(i int) (item, string, bool) { return rs[i], "", !a.isDeleted(rs[i]) }
		s.serveList(w, r, c, l)
	}
}

// findRecord returns the record with the id.
func findRecord(rs []record, id string) record {
	for _, r := range rs {
		if r["id"] == id {
			return r
		}
	}
	return nil
}

// getServicePrincipal serves GET /servicePrincipals/{id} ($select as the listing allows).
func (s *Server) getServicePrincipal(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id := r.PathValue("id")
	sp := findRecord(s.apps.sps, id)
	if sp == nil || s.apps.deleted[id] {
		s.notFound(w, r, id)
		return
	}
	l := recordListing("servicePrincipals", "ServicePrincipal", s.apps.sps, nil)
	s.getOne(w, r, c, sp, "ServicePrincipal", "servicePrincipals", l.props, l.defaults)
}

// listOwners serves /applications/{id}/owners and /servicePrincipals/{id}/owners: the owning users as
// directory objects.
func (s *Server) listOwners(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id := r.PathValue("id")
	if s.apps.deleted[id] || findRecord(s.apps.apps, id) == nil && findRecord(s.apps.sps, id) == nil {
		s.notFound(w, r, id)
		return
	}
	ids := s.apps.owners[id]
	d := s.dir
	s.serveList(w, r, c, listing{res: r.URL.Path, entity: "DirectoryObject", context: "directoryObjects", props: memberProps,
		filterable: setOf("id"), defaults: userDefault, length: len(ids),
		at: func(i int) (item, string, bool) {
			u := d.userByID[ids[i]]
			return u, "#microsoft.graph.user", u != nil && u.deleted == ""
		}})
}

// listAssignedTo serves /servicePrincipals/{id}/appRoleAssignedTo; a deleted user's or group's assignments are
// gone with it.
func (s *Server) listAssignedTo(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id := r.PathValue("id")
	if s.apps.deleted[id] || findRecord(s.apps.sps, id) == nil {
		s.notFound(w, r, id)
		return
	}
	rs := s.apps.assignedTo[id]
	l := recordListing(r.URL.Path, "AppRoleAssignment", rs, setOf("id", "principalId", "principalType", "appRoleId"))
	l.props = union(l.props, setOf("id", "appRoleId", "createdDateTime", "principalDisplayName", "principalId", "principalType", "resourceDisplayName", "resourceId", "deletedDateTime"))
	d := s.dir
	l.at = func(i int) (item, string, bool) {
		pid, _ := rs[i]["principalId"].(string)
		if u := d.userByID[pid]; u != nil && u.deleted != "" {
			return rs[i], "", false
		}
		if g := d.grpByID[pid]; g != nil && g.deleted != "" {
			return rs[i], "", false
		}
		return rs[i], "", true
	}
	s.serveList(w, r, c, l)
}

// listRoleMembers serves /directoryRoles/{id}/members: users and role-assignable groups holding the role.
func (s *Server) listRoleMembers(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id := r.PathValue("id")
	if findRecord(s.apps.dirRoles, id) == nil {
		s.notFound(w, r, id)
		return
	}
	ids := s.apps.roleMembers[id]
	d := s.dir
	s.serveList(w, r, c, listing{res: r.URL.Path, entity: "DirectoryObject", context: "directoryObjects", props: memberProps,
		filterable: setOf("id"), defaults: userDefault, length: len(ids),
		at: func(i int) (item, string, bool) {
			if u := d.userByID[ids[i]]; u != nil {
				return u, "#microsoft.graph.user", u.deleted == ""
			}
			g := d.grpByID[ids[i]]
			return g, "#microsoft.graph.group", g != nil && g.deleted == ""
		}})
}
