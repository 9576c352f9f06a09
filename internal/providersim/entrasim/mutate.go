package entrasim

import (
	"errors"
	"fmt"
	"slices"
)

// NewUser describes a user AddUser creates.
type NewUser struct {
	DisplayName, Mail, UserPrincipalName string
	// Guest makes a B2B guest (userType Guest) instead of a member.
	Guest    bool
	Disabled bool
}

// AddUser creates a user and returns its id; delta rounds report it from now on.
func (s *Server) AddUser(nu NewUser) (string, error) {
	if nu.UserPrincipalName == "" {
		return "", errors.New("entrasim add user: user principal name required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir
	for _, u := range d.users {
		if u.deleted == "" && u.upn == nu.UserPrincipalName {
			return "", fmt.Errorf("entrasim add user: %s exists", nu.UserPrincipalName)
		}
	}
	d.seq++
	u := &user{id: guid(d.seed, kindUser, d.nextUser), displayName: nu.DisplayName, mail: nu.Mail,
		upn: nu.UserPrincipalName, userType: "Member", accountEnabled: !nu.Disabled, created: s.now(), seq: d.seq}
	d.nextUser++
	if nu.Guest {
		u.userType, u.externalState = "Guest", "PendingAcceptance"
	}
	d.addUser(u)
	userType := "member"
	if nu.Guest {
		userType = "guest"
	}
	// Every user has registration details; a new one has registered no method.
	s.apps.registered = append(s.apps.registered, record{"id": u.id, "userPrincipalName": u.upn, "userDisplayName": u.displayName,
		"userType": userType, "isAdmin": false, "isMfaRegistered": false, "isMfaCapable": false,
		"isPasswordlessCapable": false, "isSsprRegistered": false, "isSsprEnabled": true, "isSsprCapable": false,
		"isSystemPreferredAuthenticationMethodEnabled": false, "methodsRegistered": []string{}, "defaultMfaMethod": "none",
		"lastUpdatedDateTime": nil, "systemPreferredAuthenticationMethods": []string{},
		"userPreferredMethodForSecondaryAuthentication": "none"})
	s.audit("Add user", "UserManagement", "User", u.id, u.displayName, u.upn)
	return u.id, nil
}

// AddRoleMember adds a user to a directory role, named by its display name ("Global Administrator"), and
// activates the role if none held it yet.
func (s *Server) AddRoleMember(role, userID string) error { return s.setRoleMember(role, userID, true) }

// RemoveRoleMember removes a user from an activated directory role.
func (s *Server) RemoveRoleMember(role, userID string) error {
	return s.setRoleMember(role, userID, false)
}

func (s *Server) setRoleMember(role, userID string, add bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.dir.userByID[userID]
	if u == nil || u.deleted != "" {
		return fmt.Errorf("entrasim role member: no user %s", userID)
	}
	var id string
	for _, r := range s.apps.dirRoles {
		if r["displayName"] == role {
			id, _ = r["id"].(string)
		}
	}
	if id == "" && add { // Graph activates a built-in role on its first assignment
		for _, def := range s.apps.roleDefs {
			if def["displayName"] == role {
				id = guid(s.dir.seed, kindRoleAssignment, 1<<40+uint64(len(s.apps.dirRoles)))
				s.apps.dirRoles = append(s.apps.dirRoles, record{"id": id, "displayName": def["displayName"],
					"description": def["description"], "roleTemplateId": def["id"], "deletedDateTime": nil})
			}
		}
	}
	if id == "" {
		return fmt.Errorf("entrasim role member: no role %q", role)
	}
	ms := s.apps.roleMembers[id]
	i := slices.Index(ms, userID)
	switch {
	case add && i >= 0, !add && i < 0:
		return nil
	case add:
		s.apps.roleMembers[id] = append(ms, userID)
		s.audit("Add member to role", "RoleManagement", "User", u.id, u.displayName, u.upn)
	default:
		s.apps.roleMembers[id] = slices.Delete(ms, i, i+1)
		s.audit("Remove member from role", "RoleManagement", "User", u.id, u.displayName, u.upn)
	}
	return nil
}

// SetAccountEnabled enables or disables a user.
func (s *Server) SetAccountEnabled(id string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.dir.userByID[id]
	if u == nil || u.deleted != "" {
		return fmt.Errorf("entrasim set account enabled: no user %s", id)
	}
	s.dir.seq++
	u.accountEnabled, u.seq = enabled, s.dir.seq
	activity := "Disable account"
	if enabled {
		activity = "Enable account"
	}
	s.audit(activity, "UserManagement", "User", u.id, u.displayName, u.upn)
	return nil
}

// SetServicePrincipalEnabled enables or disables a service principal (an enterprise application's sign-in); the
// delta reports it from now on.
func (s *Server) SetServicePrincipalEnabled(id string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := findRecord(s.apps.sps, id)
	if sp == nil || s.apps.deleted[id] {
		return fmt.Errorf("entrasim set service principal enabled: no service principal %s", id)
	}
	s.dir.seq++
	sp["accountEnabled"], s.apps.seq[id] = enabled, s.dir.seq
	return nil
}

// DeleteServicePrincipal deletes a service principal: it leaves the listings, its owners and app role
// assignments answer 404, and the delta reports it as @removed {"reason":"deleted"}.
func (s *Server) DeleteServicePrincipal(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if findRecord(s.apps.sps, id) == nil || s.apps.deleted[id] {
		return fmt.Errorf("entrasim delete service principal: no service principal %s", id)
	}
	s.dir.seq++
	s.apps.deleted[id], s.apps.seq[id] = true, s.dir.seq
	return nil
}

// DeleteUser deletes a user and removes it from every group. A soft delete (permanent false) moves it to
// deleted items, reported in delta as @removed {"reason":"changed"}; a permanent delete as "deleted".
func (s *Server) DeleteUser(id string, permanent bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir
	u := d.userByID[id]
	if u == nil || u.deleted != "" {
		return fmt.Errorf("entrasim delete user: no user %s", id)
	}
	d.seq++
	u.seq, u.deleted = d.seq, "changed"
	s.audit("Delete user", "UserManagement", "User", u.id, u.displayName, u.upn)
	if permanent {
		u.deleted = "deleted"
		s.audit("Hard delete user", "UserManagement", "User", u.id, u.displayName, u.upn)
	}
	for _, g := range d.groups {
		if i := slices.Index(g.members, id); i >= 0 {
			g.members = slices.Delete(g.members, i, i+1)
			g.changes = append(g.changes, memberChange{seq: d.seq, id: id})
			g.seq = d.seq
		}
	}
	return nil
}

// DeleteGroup deletes a group for good (as Graph deletes a security group; a Microsoft 365 group would be
// restorable): it leaves the listings and every group it was a member of, and the groups delta reports it as
// @removed {"reason":"deleted"}.
func (s *Server) DeleteGroup(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir
	g := d.grpByID[id]
	if g == nil || g.deleted != "" {
		return fmt.Errorf("entrasim delete group: no group %s", id)
	}
	d.seq++
	g.seq, g.deleted = d.seq, "deleted"
	s.audit("Delete group", "GroupManagement", "Group", g.id, g.displayName, "")
	for _, p := range d.groups {
		if i := slices.Index(p.members, id); i >= 0 {
			p.members = slices.Delete(p.members, i, i+1)
			p.changes = append(p.changes, memberChange{seq: d.seq, id: id})
			p.seq = d.seq
		}
	}
	return nil
}

// AddMember adds a user or group to a group.
func (s *Server) AddMember(groupID, memberID string) error {
	return s.setMember(groupID, memberID, true)
}

// RemoveMember removes a user or group from a group.
func (s *Server) RemoveMember(groupID, memberID string) error {
	return s.setMember(groupID, memberID, false)
}

func (s *Server) setMember(groupID, memberID string, add bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir
	g := d.grpByID[groupID]
	if g == nil || g.deleted != "" {
		return fmt.Errorf("entrasim membership: no group %s", groupID)
	}
	u, sub := d.userByID[memberID], d.grpByID[memberID]
	if (u == nil || u.deleted != "") && (sub == nil || sub.deleted != "") {
		return fmt.Errorf("entrasim membership: no directory object %s", memberID)
	}
	i := slices.Index(g.members, memberID)
	switch {
	case add && i >= 0, !add && i < 0:
		return nil
	case add:
		g.members = append(g.members, memberID)
	default:
		g.members = slices.Delete(g.members, i, i+1)
	}
	d.seq++
	g.seq = d.seq
	g.changes = append(g.changes, memberChange{seq: d.seq, id: memberID, added: add})
	activity := "Remove member from group"
	if add {
		activity = "Add member to group"
	}
	s.audit(activity, "GroupManagement", "Group", g.id, g.displayName, "")
	return nil
}

// UserIDs returns the ids of the users not deleted, in creation order.
func (s *Server) UserIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, u := range s.dir.users {
		if u.deleted == "" {
			out = append(out, u.id)
		}
	}
	return out
}

// GroupIDs returns the ids of the groups, in creation order.
func (s *Server) GroupIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, g := range s.dir.groups {
		if g.deleted == "" {
			out = append(out, g.id)
		}
	}
	return out
}

// UserIDOf returns the id of the user for the company's person (Person.Index).
func (s *Server) UserIDOf(person int) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.dir.byPerson[person]
	if u == nil {
		return "", false
	}
	return u.id, true
}
