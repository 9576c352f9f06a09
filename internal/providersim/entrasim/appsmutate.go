package entrasim

import (
	"fmt"
	"slices"
)

// Owners and app role assignments change without their application or service principal changing: the apps
// deltas do not report them (Graph's delta tracks the object's properties); the directory audit does, naming the
// service principal (or application) and the user as targets.

// AddOwner makes a user an owner of an application or service principal (by object id); RemoveOwner removes it.
func (s *Server) AddOwner(objectID, userID string) error { return s.setOwner(objectID, userID, true) }

// RemoveOwner removes a user from an application's or service principal's owners.
func (s *Server) RemoveOwner(objectID, userID string) error {
	return s.setOwner(objectID, userID, false)
}

func (s *Server) setOwner(objectID, userID string, add bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.dir.userByID[userID]
	if u == nil || u.deleted != "" {
		return fmt.Errorf("entrasim owner: no user %s", userID)
	}
	typ, what := "ServicePrincipal", "service principal"
	obj := findRecord(s.apps.sps, objectID)
	if obj == nil {
		typ, what, obj = "Application", "application", findRecord(s.apps.apps, objectID)
	}
	if obj == nil || s.apps.deleted[objectID] {
		return fmt.Errorf("entrasim owner: no application or service principal %s", objectID)
	}
	owners := s.apps.owners[objectID]
	i := slices.Index(owners, userID)
	switch {
	case add && i >= 0, !add && i < 0:
		return nil
	case add:
		s.apps.owners[objectID] = append(owners, userID)
		s.auditApp("Add owner to "+what, typ, obj, u)
	default:
		s.apps.owners[objectID] = slices.Delete(owners, i, i+1)
		s.auditApp("Remove owner from "+what, typ, obj, u)
	}
	return nil
}

// AddAppRoleAssignment assigns a user to a service principal's default access; RemoveAppRoleAssignment removes
// the user's assignments of it.
func (s *Server) AddAppRoleAssignment(spID, userID string) error {
	return s.setAssignment(spID, userID, true)
}

// RemoveAppRoleAssignment removes a user's app role assignments of a service principal.
func (s *Server) RemoveAppRoleAssignment(spID, userID string) error {
	return s.setAssignment(spID, userID, false)
}

func (s *Server) setAssignment(spID, userID string, add bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.dir.userByID[userID]
	sp := findRecord(s.apps.sps, spID)
	if u == nil || u.deleted != "" || sp == nil || s.apps.deleted[spID] {
		return fmt.Errorf("entrasim app role assignment: no user %s or service principal %s", userID, spID)
	}
	as := s.apps.assignedTo[spID]
	held := slices.IndexFunc(as, func(r record) bool { return r["principalId"] == userID })
	switch {
	case add && held >= 0, !add && held < 0:
		return nil
	case add:
		s.dir.seq++
		s.apps.assignedTo[spID] = append(as, record{"id": guid(s.dir.seed, kindAssignment, 1<<41+s.dir.seq),
			"appRoleId": defaultAccessRole, "createdDateTime": timeJSON(s.now()), "principalDisplayName": u.displayName,
			"principalId": u.id, "principalType": "User", "resourceDisplayName": sp["displayName"], "resourceId": spID,
			"deletedDateTime": nil})
		s.auditApp("Add app role assignment grant to user", "ServicePrincipal", sp, u)
	default:
		s.apps.assignedTo[spID] = slices.DeleteFunc(as, func(r record) bool { return r["principalId"] == userID })
		s.auditApp("Remove app role assignment from user", "ServicePrincipal", sp, u)
	}
	return nil
}

// auditApp records an ApplicationManagement audit whose targets are the app (its type: ServicePrincipal or
// Application) and the user; the caller holds s.mu.
func (s *Server) auditApp(activity, typ string, obj record, u *user) {
	s.audit(activity, "ApplicationManagement", typ, obj["id"].(string), fmt.Sprint(obj["displayName"]), "")
	r := s.log.audits[len(s.log.audits)-1]
	r["targetResources"] = append(r["targetResources"].([]any), map[string]any{"id": u.id, "displayName": u.displayName,
		"type": "User", "userPrincipalName": u.upn, "modifiedProperties": []any{}, "groupType": nil})
}
