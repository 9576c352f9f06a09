package providersim

import "time"

// assignAdminRoles gives direct admin roles: super and org admins from IT and
// Security, app/user/help-desk admins from anywhere, read-only admin to the
// integration service account; plus two risky holders when they exist: a
// contractor app admin and a leaver who kept an org admin role.
func assignAdminRoles(people []Person, r *rng) {
	n := len(people)
	var itSec, others []int
	var contractor, leaver, service = -1, -1, -1
	for _, i := range r.perm(n) {
		p := &people[i]
		switch {
		case p.Kind == Service && service < 0:
			service = i
		case p.Kind == Contractor && p.Status == Active && contractor < 0:
			contractor = i
		case p.Status == Leaver && leaver < 0 && p.HasAccount(Okta):
			leaver = i
		case p.Kind == Employee && p.Status == Active && (p.Department == "IT" || p.Department == "Security"):
			itSec = append(itSec, i)
		case p.Kind == Employee && p.Status == Active:
			others = append(others, i)
		}
	}
	give := func(pool *[]int, role AdminRole, count int) {
		for ; count > 0 && len(*pool) > 0; count-- {
			i := (*pool)[0]
			*pool = (*pool)[1:]
			people[i].AdminRoles = append(people[i].AdminRoles, role)
		}
	}
	give(&itSec, SuperAdmin, 1+n/10000)
	give(&itSec, OrgAdmin, max(1, n/5000))
	give(&itSec, ReadOnlyAdmin, max(1, n/5000))
	give(&others, AppAdmin, max(1, n/2500))
	give(&others, UserAdmin, max(1, n/2500))
	give(&others, HelpDeskAdmin, max(1, n/2500))
	if service >= 0 {
		people[service].AdminRoles = append(people[service].AdminRoles, ReadOnlyAdmin)
	}
	if contractor >= 0 && n >= 20 {
		people[contractor].AdminRoles = append(people[contractor].AdminRoles, AppAdmin)
	}
	if leaver >= 0 && n >= 20 {
		people[leaver].AdminRoles = append(people[leaver].AdminRoles, OrgAdmin)
	}
	// Admins are more likely to hold a security key.
	for i := range people {
		p := &people[i]
		if p.IsAdmin() && p.Kind.Human() && !hasFactor(p.Factors, FactorWebAuthn) && r.chance(0.6) {
			p.Factors = append(p.Factors, Factor{Type: FactorWebAuthn, Enrolled: p.Created.Add(48 * time.Hour), Active: true})
		}
	}
}
