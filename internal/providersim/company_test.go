package providersim

import (
	"reflect"
	"strings"
	"testing"
)

func TestNewCompanyIsDeterministic(t *testing.T) {
	tests := []struct {
		give CompanyConfig
		same bool
	}{
		{give: Small(), same: true},
		{give: Medium(), same: true},
	}
	for _, tt := range tests {
		a, err := NewCompany(tt.give)
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewCompany(tt.give)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("seed %d, %d users: two companies differ", tt.give.Seed, tt.give.Users)
		}
		other := tt.give
		other.Seed++
		c, err := NewCompany(other)
		if err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(a.People, c.People) {
			t.Errorf("seeds %d and %d gave the same people", tt.give.Seed, other.Seed)
		}
	}
}

func TestNewCompanySizes(t *testing.T) {
	tests := []struct {
		name string
		give CompanyConfig
	}{
		{"small", Small()},
		{"medium", Medium()},
		{"tiny", CompanyConfig{Seed: 7, Users: 3, Groups: 2, Apps: 1, MembershipsPerUser: 1, AssignmentsPerApp: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCompany(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			s := c.Stats()
			if s.People != tt.give.Users || s.Groups != tt.give.Groups || s.Apps != tt.give.Apps {
				t.Errorf("got %d people, %d groups, %d apps; want %d, %d, %d", s.People, s.Groups, s.Apps, tt.give.Users, tt.give.Groups, tt.give.Apps)
			}
			if s.SignIns != tt.give.SignIns || s.OAuthGrants != tt.give.OAuthGrants {
				t.Errorf("got %d sign-ins, %d grants; want %d, %d", s.SignIns, s.OAuthGrants, tt.give.SignIns, tt.give.OAuthGrants)
			}
			checkInvariants(t, c)
		})
	}
}

// TestSmallCoversEveryCase protects the promise that the demo company shows
// every kind of person and every per-provider variation at least once.
func TestSmallCoversEveryCase(t *testing.T) {
	c, err := NewCompany(Small())
	if err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	for name, got := range map[string]int{
		"contractors": s.Contractors, "leavers": s.Leavers, "services": s.Services, "bots": s.Bots,
		"externals": s.Externals, "suspended": s.Suspended, "staged": s.Staged, "admins": s.Admins,
		"without MFA": s.WithoutMFA, "shadow apps": s.ShadowApps, "group assignments": s.GroupAssignments,
	} {
		if got == 0 {
			t.Errorf("small company has no %s", name)
		}
	}
	var oktaCase, oktaMissing, stillActive bool
	for i := range c.People {
		p := &c.People[i]
		_, a := p.Variant(Okta, EmailCase)
		_, b := p.Variant(Okta, EmailMissing)
		oktaCase, oktaMissing = oktaCase || a, oktaMissing || b
		if p.Status == Leaver {
			for _, pr := range Providers() {
				stillActive = stillActive || p.StatusIn(pr) == Active
			}
		}
	}
	if !oktaCase || !oktaMissing || !stillActive {
		t.Errorf("variants: okta email case %v, okta email missing %v, leaver still active %v", oktaCase, oktaMissing, stillActive)
	}
}

func TestPersonEmailIn(t *testing.T) {
	p := Person{Email: "ada.lee@acme.example", Variants: []Variant{
		{Provider: Okta, Kind: EmailCase, Email: "Ada.Lee@acme.example"},
		{Provider: GitHub, Kind: EmailMissing},
	}}
	tests := []struct {
		give Provider
		want string
	}{
		{Okta, "Ada.Lee@acme.example"},
		{GitHub, ""},
		{Google, "ada.lee@acme.example"},
	}
	for _, tt := range tests {
		if got := p.EmailIn(tt.give); got != tt.want {
			t.Errorf("EmailIn(%s) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestNewCompanyRejectsBadConfig(t *testing.T) {
	tests := []CompanyConfig{{Users: 0}, {Users: 5, Groups: -1}, {Users: 5, SignIns: -3}}
	for _, give := range tests {
		if _, err := NewCompany(give); err == nil {
			t.Errorf("NewCompany(%+v) succeeded, want an error", give)
		}
	}
}

// checkInvariants verifies references and orderings every simulator relies on.
func checkInvariants(t *testing.T, c *Company) {
	t.Helper()
	emails := map[string]bool{}
	for i := range c.People {
		p := &c.People[i]
		if p.Index != i || p.Manager >= len(c.People) {
			t.Fatalf("person %d: bad index or manager", i)
		}
		if e := strings.ToLower(p.Email); emails[e] {
			t.Fatalf("duplicate email %s", p.Email)
		} else {
			emails[e] = true
		}
		if !p.LastLogin.IsZero() && p.LastLogin.After(c.Now) {
			t.Fatalf("person %d logs in after now", i)
		}
	}
	for gi := range c.Groups {
		m := c.Groups[gi].Members
		for k := 1; k < len(m); k++ {
			if m[k] <= m[k-1] {
				t.Fatalf("group %d members not ascending", gi)
			}
		}
	}
	for ai := range c.Apps {
		u := c.Apps[ai].Users
		for k := 1; k < len(u); k++ {
			if u[k].Person <= u[k-1].Person {
				t.Fatalf("app %d users not ascending and unique", ai)
			}
		}
	}
	for k := 1; k < len(c.SignIns); k++ {
		if c.SignIns[k].At.Before(c.SignIns[k-1].At) {
			t.Fatal("sign-ins not in time order")
		}
	}
}

// TestLargeCompanySizes checks the benchmark company's totals; its speed is
// measured by BenchmarkNewCompanyLarge.
func TestLargeCompanySizes(t *testing.T) {
	if testing.Short() {
		t.Skip("large company")
	}
	c, err := NewCompany(Large())
	if err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	within := func(got, want int) bool { return got > want*95/100 && got < want*105/100 }
	if s.People != 50000 || s.Groups != 5000 || s.Apps != 500 || !within(s.Memberships, 500000) || !within(s.Assignments, 100000) {
		t.Errorf("got %+v, want 50,000 people, 5,000 groups, 500 apps, about 500,000 memberships and 100,000 assignments", s)
	}
	checkInvariants(t, c)
}

func BenchmarkNewCompanyLarge(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewCompany(Large()); err != nil {
			b.Fatal(err)
		}
	}
}
