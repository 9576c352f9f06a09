package googlesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The mutation methods change the domain as an administrator (or a user) would; each change is recorded in
// Reports at the clock's time, as Google records it.

// Users returns a copy of the live users (not deleted), in directory order.
func (s *Server) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []User
	for _, u := range s.dir.users {
		if !u.deleted {
			out = append(out, *u)
		}
	}
	return out
}

// Groups returns a copy of the groups, in directory order.
func (s *Server) Groups() []Group {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Group, len(s.dir.groups))
	for i, g := range s.dir.groups {
		out[i] = *g
		out[i].members = slices.Clone(g.members)
	}
	return out
}

// Members returns a copy of a group's direct members.
func (g Group) Members() []Member { return slices.Clone(g.members) }

// TokensOf returns a copy of a user's OAuth tokens.
func (s *Server) TokensOf(userKey string) []Token {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.dir.user(userKey)
	if !ok {
		return nil
	}
	return slices.Clone(s.dir.tokens[u.ID])
}

// RoleAssignments returns a copy of the role assignments.
func (s *Server) RoleAssignments() []RoleAssignment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.dir.assigns)
}

// DeleteUser deletes a user: it leaves its groups and role assignments, its tokens are revoked, and it is
// listed only with showDeleted=true, for 20 days.
func (s *Server) DeleteUser(userKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.dir.user(userKey)
	if !ok {
		return fmt.Errorf("googlesim: no user %q", userKey)
	}
	now := s.now()
	u.deleted, u.deletedAt, u.DeletionTime = true, now, rfc3339(now)
	for k, v := range s.dir.byKey {
		if v == u {
			delete(s.dir.byKey, k)
		}
	}
	for _, g := range s.dir.groups {
		g.members = slices.DeleteFunc(g.members, func(m Member) bool { return m.ID == u.ID })
		g.DirectMembersCount = strconv.Itoa(len(g.members))
	}
	s.dir.assigns = slices.DeleteFunc(s.dir.assigns, func(a RoleAssignment) bool { return a.AssignedTo == u.ID })
	delete(s.dir.tokens, u.ID)
	s.adminEvent("USER_SETTINGS", "DELETE_USER", str("USER_EMAIL", u.PrimaryEmail))
	return nil
}

// SuspendUser suspends a user.
func (s *Server) SuspendUser(userKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.dir.user(userKey)
	if !ok {
		return fmt.Errorf("googlesim: no user %q", userKey)
	}
	u.Suspended, u.SuspensionReason = true, "ADMIN"
	s.adminEvent("USER_SETTINGS", "SUSPEND_USER", str("USER_EMAIL", u.PrimaryEmail))
	return nil
}

// RemoveMember removes a member (user or group, by id or email) from a group.
func (s *Server) RemoveMember(groupKey, memberKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.dir.group(groupKey)
	if !ok {
		return fmt.Errorf("googlesim: no group %q", groupKey)
	}
	n := len(g.members)
	g.members = slices.DeleteFunc(g.members, func(m Member) bool { return m.ID == memberKey || strings.EqualFold(m.Email, memberKey) })
	if len(g.members) == n {
		return fmt.Errorf("googlesim: %q is not a member of %q", memberKey, groupKey)
	}
	g.DirectMembersCount = strconv.Itoa(len(g.members))
	s.adminEvent("GROUP_SETTINGS", "REMOVE_GROUP_MEMBER", str("GROUP_EMAIL", g.Email), str("USER_EMAIL", memberKey))
	return nil
}

// DeleteGroup deletes a group: it leaves the groups it was nested in and its role assignments go.
func (s *Server) DeleteGroup(groupKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.dir.group(groupKey)
	if !ok {
		return fmt.Errorf("googlesim: no group %q", groupKey)
	}
	s.dir.groups = slices.DeleteFunc(s.dir.groups, func(x *Group) bool { return x == g })
	for k, v := range s.dir.groupByKey {
		if v == g {
			delete(s.dir.groupByKey, k)
		}
	}
	for _, o := range s.dir.groups {
		o.members = slices.DeleteFunc(o.members, func(m Member) bool { return m.ID == g.ID })
		o.DirectMembersCount = strconv.Itoa(len(o.members))
	}
	s.dir.assigns = slices.DeleteFunc(s.dir.assigns, func(a RoleAssignment) bool { return a.AssignedTo == g.ID })
	s.adminEvent("GROUP_SETTINGS", "DELETE_GROUP", str("GROUP_EMAIL", g.Email))
	return nil
}

// RevokeToken revokes a user's tokens of a client.
func (s *Server) RevokeToken(userKey, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.dir.user(userKey)
	if !ok {
		return fmt.Errorf("googlesim: no user %q", userKey)
	}
	toks := s.dir.tokens[u.ID]
	i := slices.IndexFunc(toks, func(t Token) bool { return t.ClientID == clientID })
	if i < 0 {
		return fmt.Errorf("googlesim: %q has no token of %q", userKey, clientID)
	}
	t := toks[i]
	s.dir.tokens[u.ID] = slices.Delete(toks, i, i+1)
	s.log.add(AppToken, u, s.now(), "203.0.113.9", Event{Type: "auth", Name: "revoke", Parameters: []Parameter{
		str("client_id", t.ClientID), str("app_name", t.DisplayText)}})
	return nil
}

// RecordLogin records a successful Google sign-in of a user now.
func (s *Server) RecordLogin(userKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.dir.user(userKey)
	if !ok {
		return fmt.Errorf("googlesim: no user %q", userKey)
	}
	now := s.now()
	u.LastLoginTime = rfc3339(now)
	s.log.add(AppLogin, u, now, "203.0.113.77", loginEvent("login_success", u))
	return nil
}

// Authorize records a user granting a third-party app (by name) the scopes now: a token authorize activity,
// and the user's token for the app's client, scopes merged. It returns the client id.
func (s *Server) Authorize(userKey, app string, scopes []string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.dir.user(userKey)
	if !ok {
		return "", fmt.Errorf("googlesim: no user %q", userKey)
	}
	key := slug(app)
	for _, a := range s.company.ShadowApps {
		if a.Name == app {
			key = a.Key // a company app keeps its client id
		}
	}
	client := ClientID(s.company.Config.Seed, key)
	toks := s.dir.tokens[u.ID]
	if i := slices.IndexFunc(toks, func(t Token) bool { return t.ClientID == client }); i >= 0 {
		toks[i].Scopes = mergeScopes(toks[i].Scopes, scopes)
	} else {
		s.dir.tokens[u.ID] = append(toks, Token{Kind: "admin#directory#token", Etag: etag(0, fnv(u.ID+client)), ClientID: client,
			DisplayText: app, Scopes: mergeScopes(nil, scopes), UserKey: u.ID})
	}
	s.log.add(AppToken, u, s.now(), "203.0.113.9", authorizeEvent(client, app, scopes))
	return client, nil
}

// adminEvent records an admin console change by the super admin now; s.mu is held.
func (s *Server) adminEvent(typ, name string, params ...Parameter) {
	s.log.add(AppAdmin, s.dir.users[s.dir.superAdmin], s.now(), "198.51.100.7", Event{Type: typ, Name: name, Parameters: params})
}

// AssignRole assigns the role (by name, e.g. "_SEED_ADMIN_ROLE") to a user customer-wide, as an admin does in
// the Admin console; the user becomes a super admin or a delegated admin.
func (s *Server) AssignRole(userKey, roleName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.dir.user(userKey)
	if !ok {
		return fmt.Errorf("googlesim: no user %q", userKey)
	}
	i := slices.IndexFunc(s.dir.roles, func(r Role) bool { return r.RoleName == roleName })
	if i < 0 {
		return fmt.Errorf("googlesim: no role %q", roleName)
	}
	r := s.dir.roles[i]
	s.dir.assign(s.company.Config.Seed, r.RoleID, u.ID, "user", false)
	if r.IsSuperAdminRole {
		u.IsAdmin = true
	} else {
		u.IsDelegatedAdmin = true
	}
	s.adminEvent("DELEGATED_ADMIN_SETTINGS", "ASSIGN_ROLE", str("ROLE_NAME", r.RoleName), str("USER_EMAIL", u.PrimaryEmail))
	return nil
}
