package providersim

import (
	"fmt"
	"math"
	"time"
)

// GroupKind says why a group exists.
type GroupKind string

// Group kinds.
const (
	GroupDepartment  GroupKind = "department"
	GroupLocation    GroupKind = "location"
	GroupAdmin       GroupKind = "admin" // confers admin roles on its members
	GroupContractors GroupKind = "contractors"
	GroupAppAccess   GroupKind = "app_access" // assigned to one app
	GroupTeam        GroupKind = "team"
)

// Group is a group of people.
type Group struct {
	// Index is the position in Company.Groups.
	Index int
	// ID is the neutral, stable id ("grp-00042").
	ID          string
	Name        string
	Description string
	Kind        GroupKind
	Created     time.Time
	// Members are person indexes in ascending order.
	Members []int
	// AdminRoles are conferred on every member.
	AdminRoles []AdminRole
	// App is the Index of the app an app-access group is assigned to, or -1.
	App int
}

// genGroups builds the groups and their memberships. Fixed groups come first
// (departments, admin groups, contractors, locations), then app-access groups
// for the first apps, then team groups. Current people (not leavers, bots or
// externals) are in their department and location group, and in a skewed
// random selection of team and app-access groups so that the total lands near
// Users×MembershipsPerUser.
func genGroups(cfg CompanyConfig, people []Person) []Group {
	r := newRNG(cfg.Seed, 2)
	groups := fixedGroups(cfg)
	fixed := len(groups)
	nApp := 0
	if cfg.Groups > fixed {
		nApp = min(cfg.Apps, (cfg.Groups-fixed)/3)
	}
	for len(groups) < cfg.Groups {
		i := len(groups)
		g := Group{App: -1}
		if k := i - fixed; k < nApp {
			g.Kind, g.App = GroupAppAccess, k
			g.Name = fmt.Sprintf("app-access-%03d", k)
			g.Description = "Members are assigned the app"
		} else {
			g.Kind = GroupTeam
			g.Name = fmt.Sprintf("Team %s %s %d", pick(r, teamAdjectives()), pick(r, teamNouns()), k)
			g.Description = "Working group"
		}
		groups = append(groups, g)
	}
	for i := range groups {
		groups[i].Index = i
		groups[i].ID = fmt.Sprintf("grp-%05d", i)
		groups[i].Created = cfg.Now.Add(-companyAge + time.Duration(float64(companyAge)*0.9*float64(i)/float64(len(groups))))
	}
	addMembers(cfg, people, groups, fixed, r)
	return groups
}

// fixedGroups returns the department, admin, contractor and location groups,
// truncated to cfg.Groups.
func fixedGroups(cfg CompanyConfig) []Group {
	var gs []Group
	for _, d := range departments() {
		gs = append(gs, Group{Name: d.name, Description: "Department: " + d.name, Kind: GroupDepartment, App: -1})
	}
	gs = append(gs,
		Group{Name: "IT Administrators", Description: "Administers the identity provider", Kind: GroupAdmin, AdminRoles: []AdminRole{OrgAdmin}, App: -1},
		Group{Name: "Help Desk", Description: "Resets passwords and factors", Kind: GroupAdmin, AdminRoles: []AdminRole{HelpDeskAdmin}, App: -1},
		Group{Name: "Contractors", Description: "All contractors", Kind: GroupContractors, App: -1},
	)
	for _, l := range locations() {
		gs = append(gs, Group{Name: "Office - " + l, Description: "Location: " + l, Kind: GroupLocation, App: -1})
	}
	if len(gs) > cfg.Groups {
		gs = gs[:cfg.Groups]
	}
	return gs
}

// current reports whether p should be in groups and assigned apps.
func current(p *Person) bool {
	return p.Status != Leaver && (p.Kind == Employee || p.Kind == Contractor || p.Kind == Service)
}

func addMembers(cfg CompanyConfig, people []Person, groups []Group, fixed int, r *rng) {
	byName := make(map[string]int, fixed)
	for i := range groups[:fixed] {
		byName[groups[i].Name] = i
	}
	admins := make(map[int]int) // person → admin group
	itAdmins, helpDesk := 2+len(people)/2000, 1+len(people)/2500
	for i := range people {
		p := &people[i]
		if p.Department != "IT" || p.Kind != Employee || p.Status != Active {
			continue
		}
		if g, ok := byName["IT Administrators"]; ok && itAdmins > 0 {
			admins[i], itAdmins = g, itAdmins-1
		} else if g, ok := byName["Help Desk"]; ok && helpDesk > 0 {
			admins[i], helpDesk = g, helpDesk-1
		}
	}

	pool := r.perm(len(groups) - fixed)
	fixedOf := func(i int, p *Person, mine []int) []int {
		if g, ok := byName[p.Department]; ok {
			mine = append(mine, g)
		}
		if g, ok := byName["Office - "+p.Location]; ok && p.Location != "" {
			mine = append(mine, g)
		}
		if g, ok := admins[i]; ok {
			mine = append(mine, g)
		}
		if g, ok := byName["Contractors"]; ok && p.Kind == Contractor {
			mine = append(mine, g)
		}
		return mine
	}
	nCurrent, nFixed := 0, 0
	var mine []int
	for i := range people {
		if p := &people[i]; current(p) {
			nCurrent++
			nFixed += len(fixedOf(i, p, mine[:0]))
		}
	}
	extraAvg := 0.0
	if nCurrent > 0 {
		extraAvg = math.Max(0, float64(cfg.Users*cfg.MembershipsPerUser-nFixed)/float64(nCurrent))
	}
	for i := range people {
		p := &people[i]
		if !current(p) {
			continue
		}
		mine = fixedOf(i, p, mine[:0])
		if len(pool) > 0 {
			k := int(extraAvg*2*r.float() + r.float())
			for tries, limit := 0, 4*k+8; k > 0 && tries < limit; tries++ {
				g := fixed + pool[int(float64(len(pool))*math.Pow(r.float(), 1.6))]
				if !containsInt(mine, g) {
					mine = append(mine, g)
					k--
				}
			}
		}
		for _, g := range mine {
			groups[g].Members = append(groups[g].Members, i)
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
