package oktasim

import (
	"fmt"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// NotFoundError reports a change naming an object the org does not have.
type NotFoundError struct {
	Kind, ID string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("oktasim: %s %s not found", e.Kind, e.ID) }

// UserSpec describes a user to add.
type UserSpec struct {
	FirstName, LastName string
	// Email is also the login.
	Email      string
	Department string
	Title      string
	// Staged adds the user as STAGED instead of ACTIVE.
	Staged bool
}

// ProfileChange lists profile attributes to change; nil fields stay.
type ProfileChange struct {
	Email, Login, FirstName, LastName, Department, Title, Manager *string
}

// UserID returns the Okta id of a company person ("per-000042"), if the
// person has an Okta account.
func (s *Server) UserID(personID string) (string, bool) {
	p, ok := s.company.PersonByID(personID)
	if !ok {
		return "", false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if u := s.byPerson[p.Index]; u != nil && s.org.userByID[u.id] == u {
		return u.id, true
	}
	return "", false
}

// userLocked finds a user by id or login; the caller holds s.mu.
func (s *Server) userLocked(id string) (*user, error) {
	if u, ok := s.lookupUser(id); ok {
		return u, nil
	}
	return nil, &NotFoundError{Kind: "user", ID: id}
}

// AddUser creates a user (user.lifecycle.create, and user.lifecycle.activate
// unless staged) in the Everyone group and returns its id.
func (s *Server) AddUser(spec UserSpec) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.org.userByLogin[strings.ToLower(spec.Email)]; taken || spec.Email == "" {
		return "", fmt.Errorf("oktasim add user: login %q is empty or taken", spec.Email)
	}
	now := s.now()
	seq, id := s.org.next(s.ids, prefixUser)
	u := &user{seq: seq, id: id, person: -1, status: "ACTIVE", created: now, activated: now, statusChanged: now,
		lastUpdated: now, passwordChanged: now, credProvider: "OKTA", credProviderName: "OKTA",
		p: profile{login: spec.Email, email: spec.Email, firstName: spec.FirstName, lastName: spec.LastName,
			displayName: strings.TrimSpace(spec.FirstName + " " + spec.LastName), department: spec.Department,
			title: spec.Title, userType: "Employee", organization: s.org.name}}
	if spec.Staged {
		u.status, u.activated, u.passwordChanged = "STAGED", time.Time{}, time.Time{}
	}
	s.org.addUser(u)
	s.org.everyone.members, _ = insertSeq(s.org.everyone.members, u, userSeq)
	s.org.everyone.lastMembershipUpdated = now
	u.groups = append(u.groups, s.org.everyone)
	admin := s.adminActor()
	s.emit(lifecycleEvent("user.lifecycle.create", "Create okta user", admin, u, now))
	if !spec.Staged {
		s.emit(lifecycleEvent("user.lifecycle.activate", "Activate Okta user", admin, u, now))
	}
	return id, nil
}

// DeactivateUser deprovisions a user (user.lifecycle.deactivate). Like
// Okta, it removes the user's app assignments
// (application.user_membership.remove); group memberships stay.
func (s *Server) DeactivateUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(id)
	if err != nil {
		return err
	}
	s.deactivateLocked(u)
	return nil
}

func (s *Server) deactivateLocked(u *user) {
	if u.status == "DEPROVISIONED" {
		return
	}
	now := s.now()
	u.status, u.statusChanged, u.lastUpdated = "DEPROVISIONED", now, now
	s.emit(lifecycleEvent("user.lifecycle.deactivate", "Deactivate Okta user", s.adminActor(), u, now))
	for _, a := range append([]*app(nil), u.apps...) {
		s.dropAppUserLocked(a, u)
	}
}

// SuspendUser suspends an active user (user.lifecycle.suspend).
func (s *Server) SuspendUser(id string) error {
	return s.setStatus(id, "SUSPENDED", "user.lifecycle.suspend", "Suspend Okta user")
}

// UnsuspendUser returns a suspended user to ACTIVE (user.lifecycle.unsuspend).
func (s *Server) UnsuspendUser(id string) error {
	return s.setStatus(id, "ACTIVE", "user.lifecycle.unsuspend", "Unsuspend Okta user")
}

func (s *Server) setStatus(id, status, eventType, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(id)
	if err != nil {
		return err
	}
	now := s.now()
	u.status, u.statusChanged, u.lastUpdated = status, now, now
	s.emit(lifecycleEvent(eventType, msg, s.adminActor(), u, now))
	return nil
}

// DeleteUser deletes a user, deactivating it first when needed as Okta
// requires (user.lifecycle.deactivate, then user.lifecycle.delete.initiated),
// and removes it from every group and app.
func (s *Server) DeleteUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(id)
	if err != nil {
		return err
	}
	s.deactivateLocked(u)
	for _, g := range u.groups {
		g.members, _ = removeSeq(g.members, u.seq, userSeq)
	}
	s.org.users, _ = removeSeq(s.org.users, u.seq, userSeq)
	delete(s.org.userByID, u.id)
	delete(s.org.userByLogin, strings.ToLower(u.p.login))
	s.emit(lifecycleEvent("user.lifecycle.delete.initiated", "Delete Okta user", s.adminActor(), u, s.now()))
	return nil
}

// UpdateUser changes profile attributes (user.account.update_profile).
func (s *Server) UpdateUser(id string, ch ProfileChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(id)
	if err != nil {
		return err
	}
	var changed []string
	set := func(name string, dst *string, v *string) {
		if v != nil && *dst != *v {
			*dst = *v
			changed = append(changed, name)
		}
	}
	oldLogin := strings.ToLower(u.p.login)
	set("email", &u.p.email, ch.Email)
	set("login", &u.p.login, ch.Login)
	set("firstName", &u.p.firstName, ch.FirstName)
	set("lastName", &u.p.lastName, ch.LastName)
	set("department", &u.p.department, ch.Department)
	set("title", &u.p.title, ch.Title)
	set("manager", &u.p.manager, ch.Manager)
	if newLogin := strings.ToLower(u.p.login); newLogin != oldLogin {
		delete(s.org.userByLogin, oldLogin)
		s.org.userByLogin[newLogin] = u
	}
	if ch.FirstName != nil || ch.LastName != nil {
		u.p.displayName = strings.TrimSpace(u.p.firstName + " " + u.p.lastName)
	}
	now := s.now()
	u.lastUpdated = now
	e := lifecycleEvent("user.account.update_profile", "Update user profile for Okta", s.adminActor(), u, now)
	e.debug = []kv{{"changedAttributes", strings.Join(changed, ",")}}
	s.emit(e)
	return nil
}

// RecordSignIn records an Okta sign-in (user.session.start) and moves lastLogin.
func (s *Server) RecordSignIn(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(id)
	if err != nil {
		return err
	}
	now := s.now()
	u.lastLogin = now
	s.emit(&logEvent{eventType: "user.session.start", displayMessage: "User login to Okta", actor: userRef(u),
		targets: []logRef{userRef(u)}})
	return nil
}

// ActivateFactor enrolls an active factor (user.mfa.factor.activate) and
// returns its id.
func (s *Server) ActivateFactor(id string, t providersim.FactorType) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(id)
	if err != nil {
		return "", err
	}
	f := newFactor(s.org, s.ids, t, s.now(), true, u.p.mobilePhone, u.p.email)
	u.factors = append(u.factors, f)
	s.emit(&logEvent{eventType: "user.mfa.factor.activate", displayMessage: "Activate factor or authenticator",
		actor: userRef(u), targets: []logRef{userRef(u)}, debug: []kv{{"factor", f.typ}, {"factorIntent", "ENROLLMENT"}}})
	return f.id, nil
}

// DeactivateFactor resets one factor of a user (user.mfa.factor.deactivate).
func (s *Server) DeactivateFactor(id, factorID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(id)
	if err != nil {
		return err
	}
	for i, f := range u.factors {
		if f.id == factorID {
			u.factors = append(u.factors[:i], u.factors[i+1:]...)
			s.emit(&logEvent{eventType: "user.mfa.factor.deactivate", displayMessage: "Reset factor for user",
				actor: s.adminActor(), targets: []logRef{userRef(u)}, debug: []kv{{"factor", f.typ}}})
			return nil
		}
	}
	return &NotFoundError{Kind: "factor", ID: factorID}
}
