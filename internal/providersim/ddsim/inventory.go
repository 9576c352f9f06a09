package ddsim

import "time"

// User is a user as the simulator serves it, for tests' expectations.
type User struct {
	ID, Email, Handle, Name string
	// Status is Active, Pending or Disabled.
	Status         string
	ServiceAccount bool
	MFA            bool
	LastLogin      time.Time // zero: never
	// Roles are the names of the user's roles.
	Roles []string
	// PersonID is the company person's neutral id ("per-000042").
	PersonID string
}

// Role is a role with the names of its permissions.
type Role struct {
	ID, Name    string
	Permissions []string
	UserCount   int
}

// Key is an API or application key's metadata.
type Key struct {
	ID, Name, Last4 string
	// Kind is "api_key" or "application_key".
	Kind string
	// OwnerID is the user who created (API key) or owns (application key) it.
	OwnerID  string
	Created  time.Time
	LastUsed time.Time // zero: never used
	Scopes   []string  // application keys; nil: unscoped
}

// Users returns the organization's users in name order.
func (s *Server) Users() []User {
	s.orgMu.RLock()
	defer s.orgMu.RUnlock()
	out := make([]User, 0, len(s.org.users))
	for _, i := range s.org.byName {
		u := s.org.users[i]
		v := User{ID: u.ID, Email: u.Email, Handle: u.Handle, Name: u.Name, Status: u.Status,
			ServiceAccount: u.ServiceAccount, MFA: u.MFA, LastLogin: u.LastLogin, PersonID: u.PersonID}
		for _, r := range u.Roles {
			v.Roles = append(v.Roles, s.org.roles[r].Name)
		}
		out = append(out, v)
	}
	return out
}

// Roles returns the roles in creation order (the managed roles first).
func (s *Server) Roles() []Role {
	s.orgMu.RLock()
	defer s.orgMu.RUnlock()
	out := make([]Role, 0, len(s.org.roles))
	for i, r := range s.org.roles {
		v := Role{ID: r.ID, Name: r.Name, UserCount: s.org.counts[i]}
		for _, p := range r.Perms {
			v.Permissions = append(v.Permissions, s.org.perms[p].Name)
		}
		out = append(out, v)
	}
	return out
}

// Keys returns the API keys, then the application keys, in creation order of the simulator.
func (s *Server) Keys() []Key {
	s.orgMu.RLock()
	defer s.orgMu.RUnlock()
	var out []Key
	for _, k := range s.org.apiKeys {
		out = append(out, Key{ID: k.ID, Name: k.Name, Last4: k.Last4, Kind: "api_key", OwnerID: s.org.users[k.CreatedBy].ID,
			Created: k.Created, LastUsed: k.LastUsed})
	}
	for _, k := range s.org.appKeys {
		out = append(out, Key{ID: k.ID, Name: k.Name, Last4: k.Last4, Kind: "application_key",
			OwnerID: s.org.users[k.Owner].ID, Created: k.Created, LastUsed: k.LastUsed, Scopes: k.Scopes})
	}
	return out
}
