package providersim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Company is one synthetic organisation. Treat it as read-only: simulators
// copy what they serve and keep their own changes.
type Company struct {
	Config CompanyConfig
	Name   string
	Domain string
	// Now is the "as of" time of every generated timestamp.
	Now time.Time

	People []Person
	Groups []Group
	Apps   []App
	// ShadowApps are SaaS apps in use that the IdP does not manage.
	ShadowApps  []SaaSApp
	SignIns     []SignIn
	OAuthGrants []OAuthGrant
	Security    Security
}

// NewCompany generates the company described by cfg. The same cfg always
// yields the same company.
func NewCompany(cfg CompanyConfig) (*Company, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("providersim company config: %w", err)
	}
	cfg = cfg.withDefaults()
	c := &Company{Config: cfg, Name: cfg.Name, Domain: cfg.Domain, Now: cfg.Now}
	c.People = genPeople(cfg)
	c.Groups = genGroups(cfg, c.People)
	c.Apps = genApps(cfg, c.People, c.Groups)
	c.ShadowApps = genShadowApps(cfg)
	c.SignIns, c.OAuthGrants = genEvidence(cfg, c.People, c.Apps, c.ShadowApps)
	c.Security = genSecurity(cfg)
	return c, nil
}

// PersonByID returns the person with the neutral id ("per-000042").
func (c *Company) PersonByID(id string) (*Person, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "per-"))
	if err != nil || !strings.HasPrefix(id, "per-") || n < 0 || n >= len(c.People) {
		return nil, false
	}
	return &c.People[n], true
}

// AppByKey returns the IdP app with the key.
func (c *Company) AppByKey(key string) (*App, bool) {
	for i := range c.Apps {
		if c.Apps[i].Key == key {
			return &c.Apps[i], true
		}
	}
	return nil, false
}

// Stats counts what the company holds.
type Stats struct {
	People, Employees, Contractors, Services, Bots, Externals int
	Leavers, Suspended, Staged                                int
	Admins, WithoutMFA, Variants                              int
	Groups, Memberships                                       int
	Apps, Assignments, GroupAssignments                       int
	ShadowApps, SignIns, OAuthGrants                          int
}

// Stats returns the company's counts.
func (c *Company) Stats() Stats {
	s := Stats{People: len(c.People), Groups: len(c.Groups), Apps: len(c.Apps),
		ShadowApps: len(c.ShadowApps), SignIns: len(c.SignIns), OAuthGrants: len(c.OAuthGrants)}
	for i := range c.People {
		p := &c.People[i]
		switch p.Kind {
		case Employee:
			s.Employees++
		case Contractor:
			s.Contractors++
		case Service:
			s.Services++
		case Bot:
			s.Bots++
		case External:
			s.Externals++
		}
		switch p.Status {
		case Leaver:
			s.Leavers++
		case Suspended:
			s.Suspended++
		case Staged:
			s.Staged++
		}
		if p.IsAdmin() {
			s.Admins++
		}
		if p.Kind.Human() && p.Kind != External && len(p.Factors) == 0 {
			s.WithoutMFA++
		}
		s.Variants += len(p.Variants)
	}
	for i := range c.Groups {
		s.Memberships += len(c.Groups[i].Members)
	}
	for i := range c.Apps {
		s.Assignments += len(c.Apps[i].Users)
		s.GroupAssignments += len(c.Apps[i].Groups)
	}
	return s
}
