package entrasim

import (
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// directory is the tenant's users and groups. Objects are kept in creation order and never removed from the
// lists (a deleted object stays as a tombstone), so a position in a list is a stable paging cursor.
type directory struct {
	seq      uint64 // change sequence: every change gets the next number
	users    []*user
	groups   []*group
	userByID map[string]*user
	grpByID  map[string]*group
	byPerson map[int]*user
	seed     int64
	nextUser uint64
}

type user struct {
	id, displayName, givenName, surname, mail, upn, userType, jobTitle, department string
	officeLocation, employeeID, mobilePhone, externalState                         string
	accountEnabled, onPremSync                                                     bool
	created, lastSignIn                                                            time.Time
	seq                                                                            uint64 // last change
	deleted                                                                        string // "", "changed" (soft) or "deleted"
}

type group struct {
	id, displayName, description, mailNickname, mail string
	mailEnabled, securityEnabled, roleAssignable     bool
	groupTypes                                       []string
	created                                          time.Time
	members                                          []string // directory object ids (users or groups)
	changes                                          []memberChange
	seq                                              uint64
	deleted                                          string
}

// memberChange records one membership change for members@delta.
type memberChange struct {
	seq   uint64
	id    string
	added bool
}

// buildDirectory turns the company into users and groups: people with an Entra account are members, external
// collaborators are B2B guests (userType Guest, #EXT# user principal name), the company's groups keep their
// members, and one extra group "All Departments" nests the department groups (for transitiveMembers).
func buildDirectory(c *providersim.Company, seed int64) *directory {
	d := &directory{userByID: map[string]*user{}, grpByID: map[string]*group{}, byPerson: map[int]*user{}, seed: seed, seq: 1}
	tenantDomain := strings.SplitN(c.Domain, ".", 2)[0] + ".onmicrosoft.com"
	for i := range c.People {
		p := &c.People[i]
		if !p.HasAccount(providersim.Entra) && p.Kind != providersim.External {
			continue
		}
		u := &user{
			id: guid(seed, kindUser, uint64(i)), displayName: p.DisplayName, givenName: p.FirstName, surname: p.LastName,
			jobTitle: p.Title, department: p.Department, officeLocation: p.Location, employeeID: p.EmployeeNumber,
			mobilePhone: p.Phone, created: p.Created, lastSignIn: p.LastLogin, seq: 1,
			userType: "Member", accountEnabled: true,
		}
		if p.Kind == providersim.External {
			u.userType = "Guest"
			u.mail = p.Email
			u.upn = strings.ReplaceAll(p.Email, "@", "_") + "#EXT#@" + tenantDomain
			u.externalState = "Accepted"
			if i%4 == 0 {
				u.externalState = "PendingAcceptance"
			}
		} else {
			u.mail = p.EmailIn(providersim.Entra)
			u.upn = strings.ToLower(p.Email)
			u.onPremSync = p.Kind == providersim.Employee && i%3 == 0
			switch p.StatusIn(providersim.Entra) {
			case providersim.Suspended, providersim.Leaver:
				u.accountEnabled = false
			}
		}
		d.addUser(u)
		d.byPerson[i] = u
	}
	d.nextUser = uint64(len(c.People))
	for i := range c.Groups {
		cg := &c.Groups[i]
		g := &group{
			id: guid(seed, kindGroup, uint64(i)), displayName: cg.Name, description: cg.Description,
			mailNickname: nickname(cg.Name), securityEnabled: true, groupTypes: []string{}, created: cg.Created, seq: 1,
			roleAssignable: cg.Kind == providersim.GroupAdmin,
		}
		if cg.Kind == providersim.GroupTeam && i%2 == 0 {
			g.groupTypes = []string{"Unified"}
			g.mailEnabled, g.mail = true, g.mailNickname+"@"+c.Domain
		}
		for _, m := range cg.Members {
			if u := d.byPerson[m]; u != nil {
				g.members = append(g.members, u.id)
			}
		}
		d.addGroup(g)
	}
	all := &group{id: guid(seed, kindGroup, uint64(len(c.Groups))), displayName: "All Departments",
		description: "Every department group", mailNickname: "alldepartments", securityEnabled: true,
		groupTypes: []string{}, created: c.Now.Add(-5 * 365 * 24 * time.Hour), seq: 1}
	for i := range c.Groups {
		if c.Groups[i].Kind == providersim.GroupDepartment {
			all.members = append(all.members, d.groups[i].id)
		}
	}
	d.addGroup(all)
	return d
}

func (d *directory) addUser(u *user) {
	d.users = append(d.users, u)
	d.userByID[u.id] = u
}

func (d *directory) addGroup(g *group) {
	d.groups = append(d.groups, g)
	d.grpByID[g.id] = g
}

func nickname(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// transitive returns the users and groups reachable from g's members, each once, in discovery order.
func (d *directory) transitive(g *group) []string {
	seen := map[string]bool{g.id: true}
	var out []string
	queue := []*group{g}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, id := range cur.members {
			if seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, id)
			if sub := d.grpByID[id]; sub != nil && sub.deleted == "" {
				queue = append(queue, sub)
			}
		}
	}
	return out
}
