package githubsim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// user is an account of the organization: a member or an outside collaborator.
type user struct {
	ID      int64
	Login   string
	Name    string
	Type    string // User or Bot
	Admin   bool   // org role admin (owner)
	Outside bool
	// NameID is the SAML identity's nameId ("" when the user has no SAML identity); SCIMEmail the SCIM
	// identity's primary email ("" when none).
	NameID    string
	SCIMEmail string
	// VerifiedEmails are the user's emails in the organization's verified domains (GraphQL
	// organizationVerifiedDomainEmails); PublicEmail the public profile email (GraphQL User.email, "" when none).
	VerifiedEmails []string
	PublicEmail    string
}

type teamMember struct {
	Login string
	Role  string // member or maintainer
}

type teamRepo struct {
	Repo string
	Perm string // pull, triage, push, maintain, admin
}

type team struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Parent      string // parent slug or ""
	Members     []teamMember
	Repos       []teamRepo
}

type collaborator struct {
	Login string
	Perm  string
}

type repo struct {
	ID         int64
	Name       string
	Visibility string // public, private, internal
	Archived   bool
	Collabs    []collaborator
	Keys       []deployKey
}

type installation struct {
	ID      int64
	AppID   int64
	AppSlug string
	Perms   map[string]string
	Events  []string
}

// org is the served organization; the Server's mutex guards it.
type org struct {
	ID       int64
	Login    string
	Name     string
	BasePerm string
	users    []*user // members then outside collaborators, each in id order
	teams    []*team
	repos    []*repo
	installs []installation
	pats     []pat
	audit    []auditEntry // in the order they happened

	// indexes by lower-case login, slug and lower-case name, and by user id (rebuilt by reindex after changes)
	byLogin map[string]*user
	byID    map[int64]*user
	bySlug  map[string]*team
	byRepo  map[string]*repo
}

// reindex rebuilds the lookup indexes; call it after changing users, teams or repositories.
func (o *org) reindex() {
	o.byLogin, o.byID = make(map[string]*user, len(o.users)), make(map[int64]*user, len(o.users))
	for _, u := range o.users {
		o.byLogin[strings.ToLower(u.Login)], o.byID[u.ID] = u, u
	}
	o.bySlug = make(map[string]*team, len(o.teams))
	for _, t := range o.teams {
		o.bySlug[t.Slug] = t
	}
	o.byRepo = make(map[string]*repo, len(o.repos))
	for _, r := range o.repos {
		o.byRepo[strings.ToLower(r.Name)] = r
	}
}

const (
	orgID       = 7000
	userIDBase  = 1000
	teamIDBase  = 5000
	repoIDBase  = 90000
	installBase = 300
)

var perms = []string{"pull", "push", "maintain", "triage", "admin"}

// buildOrg derives the organization from the company; the same company yields the same organization. opts
// caps the members, teams and repositories (Options.Members, Teams, Repos).
func buildOrg(c *providersim.Company, opts Options) *org {
	o := &org{ID: orgID, Login: opts.Org, Name: c.Name, BasePerm: "read"}
	var members, outside []*user
	k := 0 // rank of the member among members with an email
	for i := range c.People {
		p := &c.People[i]
		if !p.HasAccount(providersim.GitHub) || p.StatusIn(providersim.GitHub) == providersim.Leaver {
			continue
		}
		u := &user{ID: int64(userIDBase + i), Login: p.Username, Name: p.DisplayName, Type: "User"}
		email := p.EmailIn(providersim.GitHub)
		// Where the member's email can be found (docs/connectors/github.md reads them in this order): SAML, SCIM, the
		// verified-domain emails, the public profile; by the member's rank k among members with an email. Some
		// hold a personal address in their public profile too.
		switch {
		case p.Kind == providersim.External:
			u.Outside = true
			if i%2 == 0 && email != "" {
				u.PublicEmail = email // an outside collaborator shows their own company's address
			}
		case p.Kind == providersim.Bot:
			u.Login += "-bot"
		case email == "":
		case k%4 == 1: // a SAML nameId that is no email: the email comes from SCIM
			u.NameID, u.SCIMEmail = p.EmployeeNumber, email
			if u.NameID == "" {
				u.NameID = p.ID
			}
			u.VerifiedEmails = []string{email}
		case k%8 == 3: // no SAML or SCIM identity: the verified-domain email (and a personal public one)
			u.VerifiedEmails = []string{email}
			u.PublicEmail = personalEmail(p)
		case k%8 == 7: // only the public profile shows the work address
			u.PublicEmail = email
		default:
			u.NameID, u.SCIMEmail = email, email
			u.VerifiedEmails = []string{email}
			if k%5 == 0 {
				u.PublicEmail = personalEmail(p)
			}
		}
		if !u.Outside && p.Kind != providersim.Bot && email != "" {
			k++
		}
		u.Admin = !u.Outside && slices.ContainsFunc(p.AdminRoles, func(r providersim.AdminRole) bool {
			return r == providersim.SuperAdmin || r == providersim.OrgAdmin
		})
		if u.Outside {
			outside = append(outside, u)
		} else {
			members = append(members, u)
		}
	}
	if opts.Members > 0 && len(members) > opts.Members {
		members = members[:opts.Members]
	}
	if len(members) > 0 && !slices.ContainsFunc(members, func(u *user) bool { return u.Admin }) {
		members[0].Admin = true
	}
	o.users = append(members, outside...)
	memberLogin := map[int]string{}
	for _, u := range members {
		memberLogin[int(u.ID-userIDBase)] = u.Login
	}
	var depts []*team
	for i := range c.Groups {
		g := &c.Groups[i]
		if g.Kind != providersim.GroupDepartment && g.Kind != providersim.GroupTeam {
			continue
		}
		if opts.Teams > 0 && len(o.teams) >= opts.Teams {
			break
		}
		t := &team{ID: int64(teamIDBase + i), Name: g.Name, Slug: slug(g.Name), Description: g.Description}
		for _, m := range g.Members {
			if l, ok := memberLogin[m]; ok {
				role := "member"
				if len(t.Members) == 0 {
					role = "maintainer"
				}
				t.Members = append(t.Members, teamMember{Login: l, Role: role})
			}
		}
		if g.Kind == providersim.GroupDepartment {
			depts = append(depts, t)
		} else if len(depts) > 0 && len(o.teams)%3 == 0 {
			t.Parent = depts[len(o.teams)%len(depts)].Slug
		}
		o.teams = append(o.teams, t)
	}
	nRepos := max(8, 2*len(o.teams))
	if opts.Repos > 0 {
		nRepos = opts.Repos
	}
	for i := range nRepos {
		r := &repo{ID: int64(repoIDBase + i), Name: fmt.Sprintf("repo-%03d", i), Visibility: "private", Archived: i%9 == 8}
		switch i % 5 {
		case 0:
			r.Visibility = "public"
		case 1:
			r.Visibility = "internal"
		}
		if len(members) > 0 && i%2 == 0 {
			r.Collabs = append(r.Collabs, collaborator{Login: members[(i*7+3)%len(members)].Login, Perm: perms[i%len(perms)]})
		}
		o.repos = append(o.repos, r)
	}
	for j, u := range outside {
		r := o.repos[(j*5+1)%len(o.repos)]
		r.Collabs = append(r.Collabs, collaborator{Login: u.Login, Perm: "pull"})
	}
	for k, t := range o.teams {
		for _, ri := range []int{(2 * k) % nRepos, (2*k + 1) % nRepos} {
			t.Repos = append(t.Repos, teamRepo{Repo: o.repos[ri].Name, Perm: perms[k%len(perms)]})
		}
	}
	o.installs = []installation{
		{ID: installBase + 1, AppID: 11, AppSlug: "dependabot-sim", Perms: map[string]string{"contents": "read", "pull_requests": "write"}, Events: []string{"push"}},
		{ID: installBase + 2, AppID: 12, AppSlug: "ci-runner", Perms: map[string]string{"checks": "write", "metadata": "read"}, Events: []string{"check_run", "push"}},
		{ID: installBase + 3, AppID: 13, AppSlug: "open-sspm", Perms: map[string]string{"members": "read", "administration": "read"}, Events: []string{"organization", "member", "membership", "team", "repository"}},
	}
	o.buildCredentials()
	o.reindex()
	return o
}

// personalEmail is an address outside the company's domains that a member shows in their public profile.
func personalEmail(p *providersim.Person) string {
	return strings.ToLower(p.Username) + "@personal.example"
}

func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func (o *org) user(login string) *user { return o.byLogin[strings.ToLower(login)] }

func (o *org) team(slug string) *team { return o.bySlug[slug] }

func (o *org) repo(name string) *repo { return o.byRepo[strings.ToLower(name)] }
