package ddsim

import (
	"fmt"
	"slices"
)

// The changes an organization's admin makes between two reads (tests of a connector's sweep). Datadog never
// deletes a user (DELETE /api/v2/users/{id} disables it): DisableUser does that; roles, role memberships and
// keys are deleted.

// DisableUser disables a user, as Datadog's "delete user" does.
func (s *Server) DisableUser(id string) error {
	s.orgMu.Lock()
	defer s.orgMu.Unlock()
	i, ok := s.org.userByID[id]
	if !ok {
		return fmt.Errorf("ddsim: no user %s", id)
	}
	u := *s.org.users[i]
	u.Status, u.Disabled, u.Modified = "Disabled", true, s.clock()
	s.org.users[i] = &u
	return nil
}

// RemoveRoleMember takes a role away from a user.
func (s *Server) RemoveRoleMember(roleID, userID string) error {
	s.orgMu.Lock()
	defer s.orgMu.Unlock()
	o := s.org
	r, ok := o.roleByID[roleID]
	if !ok {
		return fmt.Errorf("ddsim: no role %s", roleID)
	}
	i, ok := o.userByID[userID]
	if !ok || !slices.Contains(o.users[i].Roles, r) {
		return fmt.Errorf("ddsim: user %s does not hold role %s", userID, roleID)
	}
	u := *o.users[i]
	u.Roles = slices.DeleteFunc(slices.Clone(u.Roles), func(x int) bool { return x == r })
	u.Modified = s.clock()
	o.users[i] = &u
	o.counts[r]--
	return nil
}

// DeleteRole deletes a role; its members lose it.
func (s *Server) DeleteRole(id string) error {
	s.orgMu.Lock()
	defer s.orgMu.Unlock()
	o := s.org
	r, ok := o.roleByID[id]
	if !ok {
		return fmt.Errorf("ddsim: no role %s", id)
	}
	if o.roles[r].Managed {
		return fmt.Errorf("ddsim: role %s is managed by Datadog and cannot be deleted", o.roles[r].Name)
	}
	// Role indexes after r move down by one.
	remap := func(x int) int {
		if x > r {
			return x - 1
		}
		return x
	}
	for i, u := range o.users {
		if !slices.Contains(u.Roles, r) && !slices.ContainsFunc(u.Roles, func(x int) bool { return x > r }) {
			continue
		}
		c := *u
		c.Roles = nil
		for _, x := range u.Roles {
			if x != r {
				c.Roles = append(c.Roles, remap(x))
			}
		}
		if slices.Contains(u.Roles, r) {
			c.Modified = s.clock()
		}
		o.users[i] = &c
	}
	o.roles = slices.Delete(slices.Clone(o.roles), r, r+1)
	o.counts = slices.Delete(slices.Clone(o.counts), r, r+1)
	o.roleByID = make(map[string]int, len(o.roles))
	for i, ro := range o.roles {
		o.roleByID[ro.ID] = i
	}
	return nil
}

// DeleteKey revokes an API key or an application key.
func (s *Server) DeleteKey(id string) error {
	s.orgMu.Lock()
	defer s.orgMu.Unlock()
	o := s.org
	if i := slices.IndexFunc(o.apiKeys, func(k *apiKey) bool { return k.ID == id }); i >= 0 {
		o.apiKeys = slices.Delete(slices.Clone(o.apiKeys), i, i+1)
		return nil
	}
	if i := slices.IndexFunc(o.appKeys, func(k *appKey) bool { return k.ID == id }); i >= 0 {
		o.appKeys = slices.Delete(slices.Clone(o.appKeys), i, i+1)
		return nil
	}
	return fmt.Errorf("ddsim: no key %s", id)
}
