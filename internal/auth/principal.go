// Package auth authenticates the admin API's callers: it verifies JWT access tokens (RS256 signatures against a
// JSON Web Key Set fetched from the issuer, such as a Cognito user pool, or held in-process), their issuer,
// audience and lifetime, and reads the caller's role. For the local runtime it also issues such tokens after a
// password sign-in (Issuer, Login), with argon2id password hashes and a per-email limit on failed attempts.
package auth

import "strings"

// Role is what a caller may do: admins change things, viewers only read.
type Role string

const (
	RoleAdmin  Role = "admin"
	RoleViewer Role = "viewer"
)

// ParseRole returns the role named s, or "" for anything else.
func ParseRole(s string) Role {
	switch Role(strings.ToLower(strings.TrimSpace(s))) {
	case RoleAdmin:
		return RoleAdmin
	case RoleViewer:
		return RoleViewer
	}
	return ""
}

// CanRead reports whether the role may read the admin API.
func (r Role) CanRead() bool { return r == RoleAdmin || r == RoleViewer }

// CanWrite reports whether the role may change things.
func (r Role) CanWrite() bool { return r == RoleAdmin }

// Principal is an authenticated caller.
type Principal struct {
	Subject string
	Email   string
	// Username is Cognito's username (access tokens carry no email).
	Username string
	Role     Role // "" when the token names no role Open-SSPM knows
}

// Actor names the caller in the audit log: the email, else the username, else the subject.
func (p Principal) Actor() string {
	switch {
	case p.Email != "":
		return p.Email
	case p.Username != "":
		return p.Username
	}
	return "sub:" + p.Subject
}

// roleOf picks the strongest role among a token's groups (Cognito's cognito:groups) and its role claim.
func roleOf(groups []string, role string) Role {
	best := ParseRole(role)
	for _, g := range groups {
		switch ParseRole(g) {
		case RoleAdmin:
			return RoleAdmin
		case RoleViewer:
			if best == "" {
				best = RoleViewer
			}
		}
	}
	return best
}
