// Package identity defines what the identity graph derives from linked accounts: an identity's attributes
// (name, email, status, last activity) and its flags (anchored by an authoritative source, privileged, MFA,
// stale, leaver), and the identity checks that turn flags into findings.
//
// The definitions live here, in Go, and nowhere else: the store links accounts set-based in SQL, streams each
// identity's live linked accounts to Rollup and writes back only the identities whose attributes changed. So
// what "leaver" means changes with this package, never with a migration.
package identity

import (
	"cmp"
	"slices"
	"time"
)

// Account is a live account linked to an identity, as the rollup reads it.
type Account struct {
	ID            int64 // the store's account id: ties are broken by it, oldest first
	ConnectorID   string
	Authoritative bool // the account's connector is an authoritative source (an identity provider)
	Active        bool
	IsAdmin       bool
	MFAEnrolled   *bool // nil: the source does not say
	LastLoginAt   time.Time
	DisplayName   string
	Email         string
	Status        string
}

// Attributes are what an identity derives from its live linked accounts.
type Attributes struct {
	DisplayName  string
	PrimaryEmail string
	Status       string
	LastSeenAt   time.Time // zero: no account reports activity
	Flags
	Accounts   int
	Connectors []string // the connectors of its accounts, sorted, each once
}

// Flags are an identity's derived flags.
type Flags struct {
	// Anchored: an authoritative source has a live account of the identity.
	Anchored bool
	// Privileged: an account in any source has an admin grant.
	Privileged bool
	// MFA: every account whose source reports an MFA signal has MFA; nil when no source reports one.
	MFA *bool
	// Stale: no account shows activity since the stale horizon (or none ever did).
	Stale bool
	// Leaver: deprovisioned (inactive) in an authoritative source while still active in another source.
	Leaver bool
}

// StaleAfter is how long without activity in any linked account makes an identity stale.
const StaleAfter = 90 * 24 * time.Hour

// Rollup derives an identity's attributes from its live linked accounts. Name and email come from the first
// account that has one, authoritative sources first, then active accounts, then the oldest; the status from
// the first account, authoritative sources first, then the oldest. An identity whose accounts carry no name
// (or no email) keeps current's. Stale means no activity since staleBefore. accounts is reordered.
func Rollup(current Attributes, accounts []Account, staleBefore time.Time) Attributes {
	out := Attributes{DisplayName: current.DisplayName, PrimaryEmail: current.PrimaryEmail, Status: current.Status,
		Accounts: len(accounts)}
	if len(accounts) == 0 {
		return out
	}
	// Status order: authoritative first, then oldest.
	slices.SortFunc(accounts, func(a, b Account) int {
		if a.Authoritative != b.Authoritative {
			return boolFirst(a.Authoritative)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	out.Status = accounts[0].Status
	var inactiveInAuthority, activeElsewhere bool
	mfaKnown, mfaAll := false, true
	for _, a := range accounts {
		out.Anchored = out.Anchored || a.Authoritative
		out.Privileged = out.Privileged || a.IsAdmin
		if a.MFAEnrolled != nil {
			mfaKnown, mfaAll = true, mfaAll && *a.MFAEnrolled
		}
		if a.LastLoginAt.After(out.LastSeenAt) {
			out.LastSeenAt = a.LastLoginAt
		}
		inactiveInAuthority = inactiveInAuthority || (a.Authoritative && !a.Active)
		activeElsewhere = activeElsewhere || (!a.Authoritative && a.Active)
		if !slices.Contains(out.Connectors, a.ConnectorID) {
			out.Connectors = append(out.Connectors, a.ConnectorID)
		}
	}
	slices.Sort(out.Connectors)
	if mfaKnown {
		out.MFA = &mfaAll
	}
	out.Stale = out.LastSeenAt.IsZero() || out.LastSeenAt.Before(staleBefore)
	out.Leaver = inactiveInAuthority && activeElsewhere

	// Name and email: the first account that has one, authoritative first, then active, then oldest.
	var name, email *Account
	for i := range accounts {
		a := &accounts[i]
		if a.DisplayName != "" && (name == nil || nameBefore(a, name)) {
			name = a
		}
		if a.Email != "" && (email == nil || nameBefore(a, email)) {
			email = a
		}
	}
	if name != nil {
		out.DisplayName = name.DisplayName
	}
	if email != nil {
		out.PrimaryEmail = email.Email
	}
	return out
}

// nameBefore orders accounts for an identity's name and email: authoritative first, then active, then oldest.
func nameBefore(a, b *Account) bool {
	if a.Authoritative != b.Authoritative {
		return a.Authoritative
	}
	if a.Active != b.Active {
		return a.Active
	}
	return a.ID < b.ID
}

func boolFirst(a bool) int {
	if a {
		return -1
	}
	return 1
}

// Equal reports whether two identities' attributes are the same (a linking run writes only those that changed).
func (a Attributes) Equal(b Attributes) bool {
	return a.DisplayName == b.DisplayName && a.PrimaryEmail == b.PrimaryEmail && a.Status == b.Status &&
		a.LastSeenAt.Equal(b.LastSeenAt) && a.Anchored == b.Anchored && a.Privileged == b.Privileged &&
		equalPtr(a.MFA, b.MFA) && a.Stale == b.Stale && a.Leaver == b.Leaver && a.Accounts == b.Accounts &&
		slices.Equal(a.Connectors, b.Connectors)
}

func equalPtr(a, b *bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
