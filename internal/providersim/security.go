package providersim

// Security is the company's identity security configuration in neutral
// terms; simulators render it as their provider's policies and settings. The
// seed mixes good and poor choices so posture rules have something to find.
type Security struct {
	PasswordMinLength     int
	PasswordMinAgeMinutes int
	// PasswordMaxAgeDays 0 means passwords never expire.
	PasswordMaxAgeDays int
	PasswordHistory    int
	// PasswordLockoutAttempts 0 means no lockout.
	PasswordLockoutAttempts int
	PasswordExcludeCommon   bool
	SessionIdleMinutes      int
	// SessionLifetimeMinutes 0 means sessions never expire.
	SessionLifetimeMinutes      int
	PersistentSessionCookie     bool
	AdminConsoleIdleMinutes     int
	AdminConsoleLifetimeMinutes int
	// RequireMFA: signing in to apps requires a second factor.
	RequireMFA bool
	// AdminsRequirePhishingResistant: the admin console requires a
	// phishing-resistant factor.
	AdminsRequirePhishingResistant bool
	// AuditLogStreaming: audit logs are streamed to a SIEM.
	AuditLogStreaming bool
	// FIPSCompliance: the authenticator app must be FIPS compliant.
	FIPSCompliance bool
	// CustomSignInPage: the sign-in page is customised.
	CustomSignInPage bool
}

// genSecurity draws the company's security configuration.
func genSecurity(cfg CompanyConfig) Security {
	r := newRNG(cfg.Seed, 5)
	return Security{
		PasswordMinLength:              pick(r, []int{8, 10, 12, 14}),
		PasswordMinAgeMinutes:          pick(r, []int{0, 0, 1440}),
		PasswordMaxAgeDays:             pick(r, []int{0, 90, 365}),
		PasswordHistory:                pick(r, []int{0, 4, 24}),
		PasswordLockoutAttempts:        pick(r, []int{0, 5, 10}),
		PasswordExcludeCommon:          r.chance(0.7),
		SessionIdleMinutes:             pick(r, []int{15, 60, 120}),
		SessionLifetimeMinutes:         pick(r, []int{0, 720, 1440}),
		PersistentSessionCookie:        r.chance(0.3),
		AdminConsoleIdleMinutes:        pick(r, []int{15, 30, 120}),
		AdminConsoleLifetimeMinutes:    pick(r, []int{120, 720, 1440}),
		RequireMFA:                     r.chance(0.7),
		AdminsRequirePhishingResistant: r.chance(0.5),
		AuditLogStreaming:              r.chance(0.6),
		FIPSCompliance:                 r.chance(0.3),
		CustomSignInPage:               r.chance(0.5),
	}
}
