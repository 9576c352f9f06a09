package providersim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// companyAge is how long before Now the first person was hired.
const companyAge = 6 * 365 * 24 * time.Hour

// quota returns round(n×pct), at least min when the company has 20 or more people.
func quota(n int, pct float64, min int) int {
	q := int(float64(n)*pct + 0.5)
	if n >= 20 && q < min {
		q = min
	}
	return q
}

// genPeople builds the people of the company: kinds, statuses, names, emails,
// departments, managers, timestamps, accounts, variants, factors and roles.
func genPeople(cfg CompanyConfig) []Person {
	n := cfg.Users
	r := newRNG(cfg.Seed, 1)
	people := make([]Person, n)
	assignKinds(people, r)
	assignStatuses(people, r)

	depts := departments()
	deptWeights := 0
	for _, d := range depts {
		deptWeights += d.weight
	}
	firsts, lasts, locs := firstNames(), lastNames(), locations()
	emails := make(map[string]int, n)
	usernames := make(map[string]int, n)
	deptMembers := make(map[string][]int, len(depts))
	services := serviceNames()
	bots := botNames()
	var nService, nBot int

	for i := range people {
		p := &people[i]
		p.Index = i
		p.ID = fmt.Sprintf("per-%06d", i)
		p.Manager = -1
		p.Created = cfg.Now.Add(-companyAge + time.Duration(float64(companyAge-7*24*time.Hour)*float64(i)/float64(n)) + r.between(0, 24*time.Hour))
		switch p.Kind {
		case Service:
			name := services[nService%len(services)]
			if nService >= len(services) {
				name += strconv.Itoa(nService / len(services))
			}
			nService++
			p.FirstName, p.LastName = "svc", name
			p.DisplayName = "Service " + name
			p.Username = "svc-" + name
			p.Email = p.Username + "@" + cfg.Domain
			p.Department = "IT"
			p.Title = "Service Account"
			p.Accounts = SetOf(Okta, Entra, Google, AWS)
		case Bot:
			name := bots[nBot%len(bots)]
			if nBot >= len(bots) {
				name += strconv.Itoa(nBot / len(bots))
			}
			nBot++
			p.FirstName, p.LastName = name, "bot"
			p.DisplayName = name + " bot"
			p.Username = name + "-bot"
			p.Email = p.Username + "@" + cfg.Domain
			p.Department = "Engineering"
			p.Title = "Automation"
			p.Accounts = SetOf(GitHub, Datadog)
		default:
			p.FirstName, p.LastName = pick(r, firsts), pick(r, lasts)
			p.DisplayName = p.FirstName + " " + p.LastName
			local := strings.ToLower(p.FirstName + "." + p.LastName)
			domain := cfg.Domain
			if p.Kind == External {
				domain = pick(r, []string{"partner.example", "freelance.example", "agency.example"})
			}
			p.Email = uniqueName(emails, local, ".") + "@" + domain
			p.Username = uniqueName(usernames, strings.ToLower(p.FirstName[:1]+p.LastName), "")
			d := pickDepartment(depts, deptWeights, r)
			if i == 0 {
				d = department{name: "Operations", titles: []string{"Chief Executive Officer"}}
			}
			if p.Kind != External {
				p.Department = d.name
				p.Title = pick(r, d.titles)
				p.Location = pick(r, locs)
				p.Phone = fmt.Sprintf("+1555%07d", i)
				p.Manager = pickManager(deptMembers[d.name], r)
				deptMembers[d.name] = append(deptMembers[d.name], i)
				p.Accounts = humanAccounts(p.Department, r)
			} else {
				p.Accounts = SetOf(GitHub)
				if r.chance(0.3) {
					p.Accounts |= SetOf(Datadog)
				}
			}
		}
		if p.Kind == Contractor {
			p.EmployeeNumber = fmt.Sprintf("C%05d", i)
		} else if p.Kind == Employee {
			p.EmployeeNumber = fmt.Sprintf("E%05d", i)
		}
		if p.Manager < 0 && i > 0 && p.Kind.Human() && p.Kind != External {
			p.Manager = 0
		}
		setTimes(p, cfg.Now, r)
		p.Factors = genFactors(p, cfg.Now, r)
	}
	assignVariants(people, r)
	assignAdminRoles(people, r)
	return people
}

// assignKinds sets Kind: index 0 (the CEO) is an employee; quotas of service
// accounts, bots, externals and contractors are spread over the rest.
func assignKinds(people []Person, r *rng) {
	n := len(people)
	for i := range people {
		people[i].Kind = Employee
	}
	order := r.perm(n)
	next := 0
	take := func(k Kind, q int) {
		for q > 0 && next < n {
			if i := order[next]; i != 0 {
				people[i].Kind = k
				q--
			}
			next++
		}
	}
	take(Service, quota(n, 0.02, 2))
	take(Bot, quota(n, 0.01, 1))
	take(External, quota(n, 0.01, 1))
	take(Contractor, quota(n, 0.08, 2))
}

// assignStatuses sets Status for employees and contractors: leavers,
// suspended and staged people by quota; everyone else is active.
func assignStatuses(people []Person, r *rng) {
	n := len(people)
	for i := range people {
		people[i].Status = Active
	}
	order := r.perm(n)
	next := 0
	take := func(s Status, q int) {
		for q > 0 && next < n {
			i := order[next]
			next++
			if i != 0 && (people[i].Kind == Employee || people[i].Kind == Contractor) {
				people[i].Status = s
				q--
			}
		}
	}
	take(Leaver, quota(n, 0.05, 3))
	take(Suspended, quota(n, 0.01, 1))
	take(Staged, quota(n, 0.01, 1))
}

// uniqueName returns base, or base+sep+k for the k-th repeat of base.
func uniqueName(seen map[string]int, base, sep string) string {
	k := seen[base]
	seen[base] = k + 1
	if k == 0 {
		return base
	}
	return base + sep + strconv.Itoa(k+1)
}

func pickDepartment(depts []department, total int, r *rng) department {
	x := r.intn(total)
	for _, d := range depts {
		if x < d.weight {
			return d
		}
		x -= d.weight
	}
	return depts[len(depts)-1]
}

// pickManager chooses among the earliest eighth of a department's members, so
// a few early hires manage everyone else; -1 when the department is empty.
func pickManager(members []int, r *rng) int {
	if len(members) == 0 {
		return -1
	}
	return members[r.intn(1+len(members)/8)]
}

// humanAccounts returns the providers a person of a department has accounts in.
func humanAccounts(dept string, r *rng) ProviderSet {
	s := SetOf(Okta, Entra, Google)
	switch dept {
	case "Engineering", "Security", "IT":
		s |= SetOf(GitHub, Datadog)
		if dept != "Engineering" || r.chance(0.5) {
			s |= SetOf(AWS)
		}
	case "Product":
		if r.chance(0.3) {
			s |= SetOf(GitHub)
		}
	case "Customer Success":
		if r.chance(0.3) {
			s |= SetOf(Datadog)
		}
	}
	return s
}

// setTimes sets LastLogin, LeftAt and StatusChanged from the status.
func setTimes(p *Person, now time.Time, r *rng) {
	day := 24 * time.Hour
	p.StatusChanged = p.Created.Add(time.Hour)
	switch {
	case p.Status == Staged:
		p.Created = now.Add(-r.between(day, 7*day))
		p.StatusChanged = p.Created
	case p.Status == Leaver:
		p.LeftAt = now.Add(-r.between(day, 365*day))
		if p.LeftAt.Before(p.Created) {
			p.LeftAt = p.Created.Add(now.Sub(p.Created) / 2)
		}
		p.StatusChanged = p.LeftAt
		p.LastLogin = p.LeftAt.Add(-r.between(0, 5*day))
	case p.Status == Suspended:
		p.StatusChanged = now.Add(-r.between(3*day, 60*day))
		p.LastLogin = now.Add(-r.between(30*day, 120*day))
	case p.Kind == Bot:
		// Bots never sign in interactively.
	case p.Kind == Service:
		if r.chance(0.5) {
			p.LastLogin = now.Add(-r.between(0, 3*day))
		}
	default:
		switch x := r.float(); {
		case x < 0.85:
			p.LastLogin = now.Add(-r.between(0, 14*day))
		case x < 0.92:
			p.LastLogin = now.Add(-r.between(15*day, 89*day))
		case x < 0.97:
			p.LastLogin = now.Add(-r.between(90*day, 400*day))
		}
	}
	if !p.LastLogin.IsZero() && p.LastLogin.Before(p.Created) {
		p.LastLogin = p.Created.Add(now.Sub(p.Created) / 2)
	}
}

func serviceNames() []string {
	return []string{"okta-sync", "jenkins", "terraform", "backup", "snowflake-etl", "scim-bridge", "reporting", "monitoring"}
}

func botNames() []string {
	return []string{"ci", "release", "deps", "docs", "alerts", "triage"}
}
