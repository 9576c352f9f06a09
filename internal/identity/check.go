package identity

import "fmt"

// Check turns an identity's flags into identity findings (docs/rules.md#identity-checks: leavers, privileged without MFA, stale
// privileged). Flag names the condition (Holds); it is recorded in the finding's evidence.
type Check struct {
	Key      string
	Flag     string // leaver, privileged_without_mfa, stale_privileged
	Title    string
	Severity string
}

// Check flags.
const (
	FlagLeaver               = "leaver"
	FlagPrivilegedWithoutMFA = "privileged_without_mfa"
	FlagStalePrivileged      = "stale_privileged"
)

// RulesetKey groups the identity checks' findings.
const RulesetKey = "opensspm.identity.flags.v1"

// Checks lists the identity checks in a stable order.
func Checks() []Check {
	return []Check{
		{Key: "IDENT-LEAVER-001", Flag: FlagLeaver, Severity: "high",
			Title: "Identity deprovisioned in the identity provider keeps active app accounts"},
		{Key: "IDENT-MFA-001", Flag: FlagPrivilegedWithoutMFA, Severity: "high",
			Title: "Privileged identity without MFA"},
		{Key: "IDENT-STALE-001", Flag: FlagStalePrivileged, Severity: "medium",
			Title: "Privileged identity inactive for 90 days"},
	}
}

// Holds reports whether an identity with flags f meets the check's condition. A privileged identity whose
// sources say nothing about MFA is not "without MFA": nothing is known.
func (c Check) Holds(f Flags) bool {
	switch c.Flag {
	case FlagLeaver:
		return f.Leaver
	case FlagPrivilegedWithoutMFA:
		return f.Privileged && f.MFA != nil && !*f.MFA
	case FlagStalePrivileged:
		return f.Privileged && f.Stale
	}
	return false
}

// DedupeKey keys the finding of a check on an identity.
func DedupeKey(checkKey string, identityID int64) string {
	return fmt.Sprintf("identity:%s:%d", checkKey, identityID)
}
