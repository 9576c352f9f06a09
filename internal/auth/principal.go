// Package auth authenticates the admin API's callers: it verifies JWT access tokens (RS256 signatures against a
// JSON Web Key Set fetched from the issuer, such as a Cognito user pool, or held in-process), their issuer,
// audience and lifetime, and reads the caller's role. For the local runtime it also issues such tokens after a
// password sign-in (Issuer, Login), with argon2id password hashes and a per-email limit on failed attempts.
package auth

import "github.com/open-sspm/open-sspm/internal/sspm"

// Principal is an authenticated caller.
type Principal struct {
	Subject string
	// Email is set only from a verified email (the token's email_verified claim): a user can change an
	// unverified one to anyone's.
	Email string
	// Username is Cognito's username (access tokens carry no email).
	Username string
	Role     sspm.Role // "" when the token names no role Open-SSPM knows
	// SessionID names a local sign-in session (the token's sid claim); "" for an identity provider's tokens.
	SessionID string
}

// Actor names the caller in the audit log by the token's subject, which the caller cannot change (an email or a
// username can be): "sub:" and the subject, followed by the verified email, when there is one, for display.
func (p Principal) Actor() string {
	if p.Email != "" {
		return "sub:" + p.Subject + " " + p.Email
	}
	return "sub:" + p.Subject
}

// roleOf picks the strongest role among a token's groups (Cognito's cognito:groups) and its role claim.
func roleOf(groups []string, role string) sspm.Role {
	best := sspm.ParseRole(role)
	for _, g := range groups {
		switch sspm.ParseRole(g) {
		case sspm.RoleAdmin:
			return sspm.RoleAdmin
		case sspm.RoleViewer:
			if best == "" {
				best = sspm.RoleViewer
			}
		}
	}
	return best
}
