package providersim

import (
	"errors"
	"fmt"
	"time"
)

// DefaultNow returns the fixed "as of" time used when CompanyConfig.Now is
// zero; a fixed instant keeps generated timestamps deterministic.
func DefaultNow() time.Time { return time.Date(2026, time.November, 1, 9, 0, 0, 0, time.UTC) }

// CompanyConfig is the seed and size knobs of a synthetic company. Counts are
// targets: Groups and Apps are exact (when large enough to hold the fixed
// department, location and admin groups); memberships and assignments are
// averages, so totals land within a few percent of Users×MembershipsPerUser and
// Apps×AssignmentsPerApp.
type CompanyConfig struct {
	// Seed makes the company deterministic: same config, same company.
	Seed int64
	// Name and Domain of the company; defaults "Acme" and "acme.example".
	Name   string
	Domain string
	// Now is the "as of" time of generated timestamps; zero means DefaultNow().
	Now time.Time

	// Users is the number of people, including contractors, leavers, service
	// accounts, bots and external collaborators.
	Users int
	// Groups is the number of groups.
	Groups int
	// Apps is the number of apps managed in the identity provider.
	Apps int
	// MembershipsPerUser sets the total group memberships to about
	// Users×MembershipsPerUser, spread over current people (leavers, bots and
	// externals are in no group).
	MembershipsPerUser int
	// AssignmentsPerApp sets the total app assignments (direct or through a
	// group) to about Apps×AssignmentsPerApp, skewed across apps.
	AssignmentsPerApp int
	// ShadowApps is the number of SaaS apps people use that are not in the IdP.
	ShadowApps int
	// SignIns is the number of SSO sign-in records (discovery evidence).
	SignIns int
	// OAuthGrants is the number of OAuth consent records (discovery evidence).
	OAuthGrants int
	// History is how far back sign-in and grant evidence reaches; default 30 days.
	History time.Duration
}

// Small is a company of about 50 people for demos and tests: every kind of
// person, variant and evidence appears at least once.
func Small() CompanyConfig {
	return CompanyConfig{
		Seed: 1, Users: 50, Groups: 30, Apps: 12,
		MembershipsPerUser: 4, AssignmentsPerApp: 15,
		ShadowApps: 6, SignIns: 300, OAuthGrants: 40,
	}
}

// Medium is a company of 1,000 people.
func Medium() CompanyConfig {
	return CompanyConfig{
		Seed: 1, Users: 1000, Groups: 150, Apps: 60,
		MembershipsPerUser: 8, AssignmentsPerApp: 120,
		ShadowApps: 20, SignIns: 5000, OAuthGrants: 600,
	}
}

// Large is the benchmark company: 50,000 people, 5,000 groups, about 500,000
// memberships, 500 apps and about 100,000 app assignments.
func Large() CompanyConfig {
	return CompanyConfig{
		Seed: 1, Users: 50000, Groups: 5000, Apps: 500,
		MembershipsPerUser: 10, AssignmentsPerApp: 200,
		ShadowApps: 60, SignIns: 50000, OAuthGrants: 5000,
	}
}

// withDefaults fills the zero fields that have defaults.
func (c CompanyConfig) withDefaults() CompanyConfig {
	if c.Name == "" {
		c.Name = "Acme"
	}
	if c.Domain == "" {
		c.Domain = "acme.example"
	}
	if c.Now.IsZero() {
		c.Now = DefaultNow()
	}
	c.Now = c.Now.UTC()
	if c.History <= 0 {
		c.History = 30 * 24 * time.Hour
	}
	return c
}

// validate rejects negative or inconsistent knobs.
func (c CompanyConfig) validate() error {
	if c.Users < 1 {
		return errors.New("users must be at least 1")
	}
	for name, v := range map[string]int{
		"groups": c.Groups, "apps": c.Apps, "memberships per user": c.MembershipsPerUser,
		"assignments per app": c.AssignmentsPerApp, "shadow apps": c.ShadowApps,
		"sign-ins": c.SignIns, "oauth grants": c.OAuthGrants,
	} {
		if v < 0 {
			return fmt.Errorf("%s must not be negative", name)
		}
	}
	return nil
}
