package awssim

import (
	"fmt"
	"slices"
)

// Users returns copies of the Identity Store's users, in listing order.
func (s *Server) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]User, 0, len(s.org.users))
	for _, u := range s.org.users {
		out = append(out, *u)
	}
	return out
}

// Groups returns copies of the groups (with their members), in listing order.
func (s *Server) Groups() []Group {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Group, 0, len(s.org.groups))
	for _, g := range s.org.groups {
		c := *g
		c.Members = slices.Clone(g.Members)
		out = append(out, c)
	}
	return out
}

// PermissionSets returns copies of the permission sets, in listing order.
func (s *Server) PermissionSets() []PermissionSet {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]PermissionSet, 0, len(s.org.permSets))
	for _, p := range s.org.permSets {
		out = append(out, *p)
	}
	return out
}

// Assignments returns the account assignments.
func (s *Server) Assignments() []Assignment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.org.assignments)
}

// Accounts returns the AWS account ids.
func (s *Server) Accounts() []string { return slices.Clone(s.org.accounts) }

// Events returns the CloudTrail events, oldest first.
func (s *Server) Events() []Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Event, 0, len(s.org.events))
	for _, e := range s.org.events {
		out = append(out, *e)
	}
	return out
}

// DeleteUser deletes a user with its memberships and assignments, recording DeleteUser in CloudTrail.
func (s *Server) DeleteUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	i := slices.IndexFunc(o.users, func(u *User) bool { return u.ID == id })
	if i < 0 {
		return fmt.Errorf("awssim: no user %s", id)
	}
	o.users = slices.Delete(o.users, i, i+1)
	for _, g := range o.groups {
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == id })
	}
	o.assignments = slices.DeleteFunc(o.assignments, func(a Assignment) bool { return a.PrincipalID == id })
	o.reindex()
	o.newEvent(eventSpec{name: "DeleteUser", source: SourceIdentityStore, actor: "admin", at: s.clock(),
		request: map[string]any{"identityStoreId": o.identityStoreID, "userId": id}})
	return nil
}

// DeleteGroup deletes a group with its memberships and assignments, recording DeleteGroup in CloudTrail.
func (s *Server) DeleteGroup(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	i := slices.IndexFunc(o.groups, func(g *Group) bool { return g.ID == id })
	if i < 0 {
		return fmt.Errorf("awssim: no group %s", id)
	}
	o.groups = slices.Delete(o.groups, i, i+1)
	o.assignments = slices.DeleteFunc(o.assignments, func(a Assignment) bool { return a.PrincipalID == id })
	o.reindex()
	o.newEvent(eventSpec{name: "DeleteGroup", source: SourceIdentityStore, actor: "admin", at: s.clock(),
		request: map[string]any{"identityStoreId": o.identityStoreID, "groupId": id}})
	return nil
}

// DeletePermissionSet deletes a permission set and its assignments (AWS wants them deleted first; the
// simulator does both), recording DeletePermissionSet.
func (s *Server) DeletePermissionSet(arn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	i := slices.IndexFunc(o.permSets, func(p *PermissionSet) bool { return p.ARN == arn })
	if i < 0 {
		return fmt.Errorf("awssim: no permission set %s", arn)
	}
	o.permSets = slices.Delete(o.permSets, i, i+1)
	o.assignments = slices.DeleteFunc(o.assignments, func(a Assignment) bool { return a.PermissionSetARN == arn })
	o.reindex()
	o.newEvent(eventSpec{name: "DeletePermissionSet", source: SourceSSO, actor: "admin", at: s.clock(),
		request: map[string]any{"instanceArn": o.instanceARN, "permissionSetArn": arn}})
	return nil
}

// Assign adds an account assignment, recording CreateAccountAssignment.
func (s *Server) Assign(a Assignment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	if _, ok := o.permSet(a.PermissionSetARN); !ok {
		return fmt.Errorf("awssim: no permission set %s", a.PermissionSetARN)
	}
	if !slices.Contains(o.accounts, a.AccountID) {
		return fmt.Errorf("awssim: no account %s", a.AccountID)
	}
	if a.PrincipalType == "USER" {
		if _, ok := o.user(a.PrincipalID); !ok {
			return fmt.Errorf("awssim: no user %s", a.PrincipalID)
		}
	} else if _, ok := o.group(a.PrincipalID); !ok || a.PrincipalType != "GROUP" {
		return fmt.Errorf("awssim: no group %s", a.PrincipalID)
	}
	if !slices.Contains(o.assignments, a) {
		o.assignments = append(o.assignments, a)
	}
	o.assignmentEvent("CreateAccountAssignment", a, "admin", s.clock())
	return nil
}

// Unassign deletes an account assignment, recording DeleteAccountAssignment.
func (s *Server) Unassign(a Assignment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	i := slices.Index(o.assignments, a)
	if i < 0 {
		return fmt.Errorf("awssim: no assignment %+v", a)
	}
	o.assignments = slices.Delete(o.assignments, i, i+1)
	o.assignmentEvent("DeleteAccountAssignment", a, "admin", s.clock())
	return nil
}

// AddMember puts a user in a group, recording CreateGroupMembership.
func (s *Server) AddMember(group, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	g, ok := o.group(group)
	if !ok {
		return fmt.Errorf("awssim: no group %s", group)
	}
	if _, ok := o.user(user); !ok {
		return fmt.Errorf("awssim: no user %s", user)
	}
	if !slices.Contains(g.Members, user) {
		g.Members = append(g.Members, user)
	}
	o.newEvent(eventSpec{name: "CreateGroupMembership", source: SourceIdentityStore, actor: "admin", at: s.clock(),
		request:  map[string]any{"identityStoreId": o.identityStoreID, "groupId": group, "memberId": map[string]string{"userId": user}},
		response: map[string]any{"membershipId": o.membershipID(group, user), "identityStoreId": o.identityStoreID}})
	return nil
}

// AttachManagedPolicy attaches an AWS managed policy to a permission set, recording
// AttachManagedPolicyToPermissionSet.
func (s *Server) AttachManagedPolicy(psARN, name, arn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	ps, ok := o.permSet(psARN)
	if !ok {
		return fmt.Errorf("awssim: no permission set %s", psARN)
	}
	ps.Managed = append(ps.Managed, ManagedPolicy{name, arn})
	o.newEvent(eventSpec{name: "AttachManagedPolicyToPermissionSet", source: SourceSSO, actor: "admin", at: s.clock(),
		request: map[string]any{"instanceArn": o.instanceARN, "permissionSetArn": psARN, "managedPolicyArn": arn}})
	return nil
}

// PutInlinePolicy replaces a permission set's inline policy, recording PutInlinePolicyToPermissionSet.
func (s *Server) PutInlinePolicy(psARN, doc string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	ps, ok := o.permSet(psARN)
	if !ok {
		return fmt.Errorf("awssim: no permission set %s", psARN)
	}
	ps.Inline = doc
	o.newEvent(eventSpec{name: "PutInlinePolicyToPermissionSet", source: SourceSSO, actor: "admin", at: s.clock(),
		request: map[string]any{"instanceArn": o.instanceARN, "permissionSetArn": psARN, "inlinePolicy": doc}})
	return nil
}

// SignIn records a user's sign-in to the access portal (signin.amazonaws.com UserAuthentication).
func (s *Server) SignIn(user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.org.user(user)
	if !ok {
		return fmt.Errorf("awssim: no user %s", user)
	}
	s.org.newEvent(eventSpec{name: "UserAuthentication", source: SourceSignin, actor: u.UserName, at: s.clock(),
		identityType: "IdentityCenterUser", response: map[string]any{"UserAuthentication": "Success"}})
	return nil
}
