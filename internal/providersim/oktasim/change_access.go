package oktasim

import (
	"fmt"
	"strings"
)

// GroupID returns the id of the group with the name (case-insensitive).
func (s *Server) GroupID(name string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, g := range s.org.groups {
		if strings.EqualFold(g.name, name) {
			return g.id, true
		}
	}
	return "", false
}

// AppID returns the id of the app built from the company app with the key.
func (s *Server) AppID(key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a, ok := s.appByKey[key]; ok && s.org.appByID[a.id] == a {
		return a.id, true
	}
	return "", false
}

func (s *Server) groupLocked(id string) (*group, error) {
	if g, ok := s.org.groupByID[id]; ok {
		return g, nil
	}
	return nil, &NotFoundError{Kind: "group", ID: id}
}

func (s *Server) appLocked(id string) (*app, error) {
	if a, ok := s.org.appByID[id]; ok {
		return a, nil
	}
	return nil, &NotFoundError{Kind: "app", ID: id}
}

// AddGroup creates an Okta group (group.lifecycle.create) and returns its id.
func (s *Server) AddGroup(name, description string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	seq, id := s.org.next(s.ids, prefixGroup)
	g := &group{seq: seq, id: id, typ: "OKTA_GROUP", name: name, description: description,
		created: now, lastUpdated: now, lastMembershipUpdated: now}
	s.org.addGroup(g)
	s.emit(&logEvent{eventType: "group.lifecycle.create", displayMessage: "Create okta group", actor: s.adminActor(),
		targets: []logRef{groupRef(g)}})
	return id, nil
}

// DeleteGroup deletes a group (group.lifecycle.delete); its members lose
// the apps they had only through it. The built-in Everyone group cannot be
// deleted.
func (s *Server) DeleteGroup(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupLocked(id)
	if err != nil {
		return err
	}
	if g.typ == "BUILT_IN" {
		return fmt.Errorf("oktasim delete group: %s is built in", g.name)
	}
	for _, a := range append([]*app(nil), g.apps...) {
		s.unassignGroupLocked(a, g)
	}
	for _, u := range g.members {
		u.groups = removePtr(u.groups, g)
	}
	s.org.groups, _ = removeSeq(s.org.groups, g.seq, groupSeq)
	delete(s.org.groupByID, g.id)
	s.emit(&logEvent{eventType: "group.lifecycle.delete", displayMessage: "Delete Okta group", actor: s.adminActor(),
		targets: []logRef{groupRef(g)}})
	return nil
}

// AddGroupMember adds a user to a group (group.user_membership.add) and to
// the apps assigned to the group (application.user_membership.add).
func (s *Server) AddGroupMember(groupID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupLocked(groupID)
	if err != nil {
		return err
	}
	u, err := s.userLocked(userID)
	if err != nil {
		return err
	}
	var added bool
	if g.members, added = insertSeq(g.members, u, userSeq); !added {
		return nil
	}
	u.groups = append(u.groups, g)
	now := s.now()
	g.lastMembershipUpdated = now
	s.emit(&logEvent{eventType: "group.user_membership.add", displayMessage: "Add user to group membership",
		actor: s.adminActor(), targets: []logRef{userRef(u), groupRef(g)}})
	for _, a := range g.apps {
		s.grantLocked(a, u, false)
	}
	return nil
}

// RemoveGroupMember removes a user from a group
// (group.user_membership.remove) and from apps held only through it.
func (s *Server) RemoveGroupMember(groupID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupLocked(groupID)
	if err != nil {
		return err
	}
	u, err := s.userLocked(userID)
	if err != nil {
		return err
	}
	var removed bool
	if g.members, removed = removeSeq(g.members, u.seq, userSeq); !removed {
		return nil
	}
	u.groups = removePtr(u.groups, g)
	g.lastMembershipUpdated = s.now()
	s.emit(&logEvent{eventType: "group.user_membership.remove", displayMessage: "Remove user from group membership",
		actor: s.adminActor(), targets: []logRef{userRef(u), groupRef(g)}})
	for _, a := range g.apps {
		s.revokeLocked(a, u, false)
	}
	return nil
}

// AssignUserToApp assigns a user to an app directly
// (application.user_membership.add).
func (s *Server) AssignUserToApp(appID, userID string) error {
	return s.withAppUser(appID, userID, func(a *app, u *user) { s.grantLocked(a, u, true) })
}

// UnassignUserFromApp removes a user's direct assignment
// (application.user_membership.remove when no group keeps the user assigned).
func (s *Server) UnassignUserFromApp(appID, userID string) error {
	return s.withAppUser(appID, userID, func(a *app, u *user) { s.revokeLocked(a, u, true) })
}

// withAppUser runs fn under the lock with the app and the user the ids name.
func (s *Server) withAppUser(appID, userID string, fn func(*app, *user)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.appLocked(appID)
	if err != nil {
		return err
	}
	u, err := s.userLocked(userID)
	if err != nil {
		return err
	}
	fn(a, u)
	return nil
}

// withAppGroup runs fn under the lock with the app and the group the ids name.
func (s *Server) withAppGroup(appID, groupID string, fn func(*app, *group)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.appLocked(appID)
	if err != nil {
		return err
	}
	g, err := s.groupLocked(groupID)
	if err != nil {
		return err
	}
	fn(a, g)
	return nil
}

// AssignGroupToApp assigns a group to an app
// (group.application_assignment.add); its members become assigned.
func (s *Server) AssignGroupToApp(appID, groupID string) error {
	return s.withAppGroup(appID, groupID, func(a *app, g *group) {
		ag := &appGroup{g: g, priority: len(a.groups), lastUpdated: s.now()}
		var added bool
		if a.groups, added = insertSeq(a.groups, ag, appGroupSeq); !added {
			return
		}
		g.apps = append(g.apps, a)
		s.emit(&logEvent{eventType: "group.application_assignment.add", displayMessage: "Add assigned application to group",
			actor: s.adminActor(), targets: []logRef{appRef(a), groupRef(g)}})
		for _, u := range g.members {
			s.grantLocked(a, u, false)
		}
	})
}

// UnassignGroupFromApp removes a group's assignment
// (group.application_assignment.remove) and the assignments it gave.
func (s *Server) UnassignGroupFromApp(appID, groupID string) error {
	return s.withAppGroup(appID, groupID, s.unassignGroupLocked)
}

func (s *Server) unassignGroupLocked(a *app, g *group) {
	var removed bool
	if a.groups, removed = removeSeq(a.groups, g.seq, appGroupSeq); !removed {
		return
	}
	g.apps = removePtr(g.apps, a)
	s.emit(&logEvent{eventType: "group.application_assignment.remove", displayMessage: "Remove assigned application from group",
		actor: s.adminActor(), targets: []logRef{appRef(a), groupRef(g)}})
	for _, u := range g.members {
		s.revokeLocked(a, u, false)
	}
}

// grantLocked adds a direct or group-derived assignment; a new app user
// emits application.user_membership.add. Deprovisioned users get none.
func (s *Server) grantLocked(a *app, u *user, direct bool) {
	if u.status == "DEPROVISIONED" {
		return
	}
	now := s.now()
	if i, ok := searchSeq(a.users, u.seq, appUserSeq); ok {
		au := a.users[i]
		if direct {
			au.direct = true
		} else {
			au.via++
		}
		au.lastUpdated = now
		return
	}
	au := &appUser{u: u, direct: direct, created: now, lastUpdated: now, statusChanged: now}
	if !direct {
		au.via = 1
	}
	a.users, _ = insertSeq(a.users, au, appUserSeq)
	u.apps = append(u.apps, a)
	s.emit(&logEvent{eventType: "application.user_membership.add", displayMessage: "Add user to application membership",
		actor: s.adminActor(), targets: []logRef{appUserRef(u), appRef(a), userRef(u)}})
}

// revokeLocked removes a direct or group-derived assignment; the app user
// goes (application.user_membership.remove) when nothing keeps it.
func (s *Server) revokeLocked(a *app, u *user, direct bool) {
	i, ok := searchSeq(a.users, u.seq, appUserSeq)
	if !ok {
		return
	}
	au := a.users[i]
	if direct {
		au.direct = false
	} else if au.via > 0 {
		au.via--
	}
	au.lastUpdated = s.now()
	if !au.direct && au.via == 0 {
		s.dropAppUserLocked(a, u)
	}
}

// dropAppUserLocked removes a user from an app outright.
func (s *Server) dropAppUserLocked(a *app, u *user) {
	var removed bool
	if a.users, removed = removeSeq(a.users, u.seq, appUserSeq); !removed {
		return
	}
	u.apps = removePtr(u.apps, a)
	s.emit(&logEvent{eventType: "application.user_membership.remove", displayMessage: "Remove user from application membership",
		actor: s.adminActor(), targets: []logRef{appUserRef(u), appRef(a), userRef(u)}})
}

// RecordSSO records a sign-in through Okta to an app (user.authentication.sso):
// discovery evidence.
func (s *Server) RecordSSO(userID, appID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(userID)
	if err != nil {
		return err
	}
	a, err := s.appLocked(appID)
	if err != nil {
		return err
	}
	s.emit(ssoEvent(u, a, true))
	return nil
}

// RecordConsent records a user granting an app OAuth scopes
// (app.oauth2.as.consent.grant): discovery evidence.
func (s *Server) RecordConsent(userID, appID string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(userID)
	if err != nil {
		return err
	}
	a, err := s.appLocked(appID)
	if err != nil {
		return err
	}
	s.emit(consentEvent(u, a, scopes))
	return nil
}
