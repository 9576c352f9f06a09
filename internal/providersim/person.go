package providersim

import "time"

// Provider names a system the company's people have accounts in.
type Provider string

// The providers a company can be served as.
const (
	Okta    Provider = "okta"
	Entra   Provider = "entra"
	Google  Provider = "google"
	GitHub  Provider = "github"
	Datadog Provider = "datadog"
	AWS     Provider = "aws"
)

// Providers lists every provider in a fixed order.
func Providers() []Provider { return []Provider{Okta, Entra, Google, GitHub, Datadog, AWS} }

// ProviderSet is a set of providers.
type ProviderSet uint8

func providerBit(p Provider) ProviderSet {
	switch p {
	case Okta:
		return 1
	case Entra:
		return 2
	case Google:
		return 4
	case GitHub:
		return 8
	case Datadog:
		return 16
	case AWS:
		return 32
	}
	return 0
}

// SetOf returns the set holding ps.
func SetOf(ps ...Provider) ProviderSet {
	var s ProviderSet
	for _, p := range ps {
		s |= providerBit(p)
	}
	return s
}

// Has reports whether p is in the set.
func (s ProviderSet) Has(p Provider) bool { return s&providerBit(p) != 0 }

// Kind says what a person is.
type Kind string

// Kinds of people.
const (
	Employee   Kind = "employee"
	Contractor Kind = "contractor"
	// Service is a non-human account an integration signs in with.
	Service Kind = "service"
	// Bot is an automation account in a SaaS app (CI bots, chat bots).
	Bot Kind = "bot"
	// External is an outside collaborator or guest with SaaS accounts only: no
	// IdP account anchors them.
	External Kind = "external"
)

// Human reports whether the kind is a person rather than an automation.
func (k Kind) Human() bool { return k == Employee || k == Contractor || k == External }

// Status is a person's lifecycle state in the company's source of truth.
type Status string

// Statuses.
const (
	Active Status = "active"
	// Staged is a new hire whose accounts exist but are not activated yet.
	Staged    Status = "staged"
	Suspended Status = "suspended"
	// Leaver has left the company: deprovisioned in the identity providers.
	Leaver Status = "leaver"
)

// VariantKind names a per-provider deviation from the canonical record.
type VariantKind string

// Variant kinds.
const (
	// EmailCase: the provider stores the email with different letter case.
	EmailCase VariantKind = "email_case"
	// EmailMissing: the provider has no email for the account.
	EmailMissing VariantKind = "email_missing"
	// StillActive: a leaver whose account in the provider is still active.
	StillActive VariantKind = "still_active"
)

// Variant is one per-provider deviation. Email holds the provider's value for
// EmailCase.
type Variant struct {
	Provider Provider
	Kind     VariantKind
	Email    string
}

// AdminRole is a provider-neutral administrative role.
type AdminRole string

// Admin roles, from most to least privileged.
const (
	SuperAdmin    AdminRole = "super_admin"
	OrgAdmin      AdminRole = "org_admin"
	AppAdmin      AdminRole = "app_admin"
	UserAdmin     AdminRole = "user_admin"
	HelpDeskAdmin AdminRole = "help_desk_admin"
	ReadOnlyAdmin AdminRole = "read_only_admin"
)

// FactorType is a provider-neutral MFA method.
type FactorType string

// Factor types.
const (
	FactorPush        FactorType = "push"         // authenticator app push
	FactorTOTP        FactorType = "totp"         // one-time code app
	FactorWebAuthn    FactorType = "webauthn"     // security key or platform authenticator
	FactorSignedNonce FactorType = "signed_nonce" // device-bound (Okta FastPass)
	FactorSMS         FactorType = "sms"
	FactorEmail       FactorType = "email"
	FactorQuestion    FactorType = "question"
	FactorHardware    FactorType = "hardware" // hardware OTP token
)

// Factor is one enrolled MFA method.
type Factor struct {
	Type     FactorType
	Enrolled time.Time
	// Active is false for a factor whose enrollment was never completed.
	Active bool
	// Phone is set for SMS factors.
	Phone string
}

// Person is one human or automation account holder of the company.
type Person struct {
	// Index is the position in Company.People.
	Index int
	// ID is the neutral, stable id ("per-000042"); HR's employee key.
	ID     string
	Kind   Kind
	Status Status

	FirstName   string
	LastName    string
	DisplayName string
	// Email is the canonical address (lower case). Providers may deviate; use EmailIn.
	Email string
	// Username is a short handle ("jdoe"), used where providers want a login name.
	Username       string
	EmployeeNumber string
	Department     string
	Title          string
	Location       string
	Phone          string
	// Manager is the Index of the person's manager, or -1.
	Manager int

	// Created is when the person's accounts were created (hire date).
	Created time.Time
	// LastLogin is the last interactive sign-in; zero means never.
	LastLogin time.Time
	// LeftAt is when a leaver left; zero otherwise.
	LeftAt time.Time
	// StatusChanged is the time of the last lifecycle change.
	StatusChanged time.Time

	// AdminRoles held directly (roles through groups are on Group.AdminRoles).
	AdminRoles []AdminRole
	// Factors are the person's enrolled MFA methods.
	Factors []Factor
	// Accounts is the set of providers the person has an account in.
	Accounts ProviderSet
	// Variants are per-provider deviations; nil for most people.
	Variants []Variant
}

// HasAccount reports whether the person has an account in p.
func (p *Person) HasAccount(pr Provider) bool { return p.Accounts.Has(pr) }

// Variant reports whether the person has a deviation of kind k in pr.
func (p *Person) Variant(pr Provider, k VariantKind) (Variant, bool) {
	for _, v := range p.Variants {
		if v.Provider == pr && v.Kind == k {
			return v, true
		}
	}
	return Variant{}, false
}

// EmailIn returns the email provider pr records for the person: the canonical
// email, a case variant, or "" when the provider has none.
func (p *Person) EmailIn(pr Provider) string {
	for _, v := range p.Variants {
		if v.Provider != pr {
			continue
		}
		switch v.Kind {
		case EmailMissing:
			return ""
		case EmailCase:
			return v.Email
		}
	}
	return p.Email
}

// StatusIn returns the person's status as provider pr sees it: a leaver with a
// StillActive variant is active there.
func (p *Person) StatusIn(pr Provider) Status {
	if p.Status == Leaver {
		if _, ok := p.Variant(pr, StillActive); ok {
			return Active
		}
	}
	return p.Status
}

// IsAdmin reports whether the person holds any admin role directly.
func (p *Person) IsAdmin() bool { return len(p.AdminRoles) > 0 }
