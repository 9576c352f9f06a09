package awssim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// AWS managed policy ARNs the catalogue attaches.
const (
	AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"
	PowerUserAccessARN     = "arn:aws:iam::aws:policy/PowerUserAccess"
	IAMFullAccessARN       = "arn:aws:iam::aws:policy/IAMFullAccess"
	ReadOnlyAccessARN      = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	ViewOnlyAccessARN      = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
	BillingARN             = "arn:aws:iam::aws:policy/job-function/Billing"
	SecurityAuditARN       = "arn:aws:iam::aws:policy/SecurityAudit"
)

// User is an Identity Store user.
type User struct {
	ID, UserName, DisplayName, GivenName, FamilyName, Email, Status, UserType, Title string
	// ExternalIDs are the SCIM anchors an upstream identity provider set ({Issuer, Id}); empty for users made
	// in Identity Center itself.
	ExternalIDs      []ExternalID
	Created, Updated time.Time
}

// ExternalID is an Identity Store external identifier.
type ExternalID struct{ Issuer, ID string }

// Group is an Identity Store group; Members are user ids.
type Group struct {
	ID, Name, Description string
	ExternalIDs           []ExternalID
	Members               []string
}

// PolicyRef names a customer managed policy (Name, Path).
type PolicyRef struct{ Name, Path string }

// ManagedPolicy is an AWS managed policy attached to a permission set.
type ManagedPolicy struct{ Name, ARN string }

// PermissionSet is an SSO Admin permission set with its policies.
type PermissionSet struct {
	ARN, Name, Description, SessionDuration string
	Created                                 time.Time
	Managed                                 []ManagedPolicy
	CustomerManaged                         []PolicyRef
	Inline                                  string // the inline policy document, "" when none
	BoundaryARN                             string // a managed policy as permissions boundary
	BoundaryRef                             *PolicyRef
}

// Assignment gives a principal (USER or GROUP) a permission set in an AWS account.
type Assignment struct{ AccountID, PermissionSetARN, PrincipalType, PrincipalID string }

// org is one Identity Center instance and what it holds.
type org struct {
	seed            int64
	instanceARN     string
	identityStoreID string
	ownerAccount    string
	region          string
	created         time.Time
	users           []*User // in creation order
	groups          []*Group
	permSets        []*PermissionSet
	accounts        []string
	assignments     []Assignment
	events          []*Event // ascending by time

	usersByID  map[string]*User
	groupsByID map[string]*Group
	psByARN    map[string]*PermissionSet
}

// reindex rebuilds the lookups after a change.
func (o *org) reindex() {
	o.usersByID = make(map[string]*User, len(o.users))
	for _, u := range o.users {
		o.usersByID[u.ID] = u
	}
	o.groupsByID = make(map[string]*Group, len(o.groups))
	for _, g := range o.groups {
		o.groupsByID[g.ID] = g
	}
	o.psByARN = make(map[string]*PermissionSet, len(o.permSets))
	for _, p := range o.permSets {
		o.psByARN[p.ARN] = p
	}
}

// buildOrg derives the instance from the company: people with an AWS account are users; groups keep those
// members; the permission-set catalogue is assigned by group kind.
func buildOrg(c *providersim.Company, opts Options) *org {
	seed := c.Config.Seed + int64(opts.Tenant)*7919
	o := &org{seed: seed, region: opts.Region, created: c.Now.Add(-400 * 24 * time.Hour)}
	h := providersim.SplitMix64(uint64(seed) ^ 0x61777373)
	o.instanceARN = fmt.Sprintf("arn:aws:sso:::instance/ssoins-%016x", h)
	o.identityStoreID = fmt.Sprintf("d-%010x", h>>24&0xffffffffff)
	o.ownerAccount = accountID(seed, 0)
	for i := range opts.Accounts {
		o.accounts = append(o.accounts, accountID(seed, i))
	}
	byPerson := map[int]string{}
	scim := fmt.Sprintf("https://scim.%s/okta", c.Domain)
	for i := range c.People {
		p := &c.People[i]
		if !p.HasAccount(providersim.AWS) || p.Kind == providersim.Bot {
			continue
		}
		if opts.Users > 0 && len(o.users) >= opts.Users {
			break
		}
		u := &User{ID: o.uuid(1, uint64(i)), UserName: p.Email, DisplayName: p.DisplayName, GivenName: p.FirstName,
			FamilyName: p.LastName, Email: p.EmailIn(providersim.AWS), Status: "ENABLED", UserType: string(p.Kind),
			Title: p.Title, Created: p.Created.UTC().Truncate(time.Second), Updated: p.StatusChanged.UTC().Truncate(time.Second)}
		if u.UserName == "" {
			u.UserName = p.Username
		}
		switch p.StatusIn(providersim.AWS) {
		case providersim.Suspended, providersim.Leaver:
			u.Status = "DISABLED"
		}
		if p.HasAccount(providersim.Okta) && p.Kind != providersim.External && i%5 != 4 {
			u.ExternalIDs = []ExternalID{{Issuer: scim, ID: p.ID}}
		}
		o.users = append(o.users, u)
		byPerson[i] = u.ID
	}
	for gi := range c.Groups {
		g := &c.Groups[gi]
		if opts.Groups > 0 && len(o.groups) >= opts.Groups {
			break
		}
		ag := &Group{ID: o.uuid(2, uint64(gi)), Name: g.Name, Description: g.Description}
		for _, m := range g.Members {
			if id, ok := byPerson[m]; ok {
				ag.Members = append(ag.Members, id)
			}
		}
		o.groups = append(o.groups, ag)
	}
	o.permSets = catalogue(o, opts.PermissionSets)
	o.reindex()
	o.assign(c)
	o.history(c.Now)
	return o
}

// accountID is a 12-digit AWS account id.
func accountID(seed int64, i int) string {
	return fmt.Sprintf("%012d", (providersim.SplitMix64(uint64(seed)*31+uint64(i)+1)%900000000000)+100000000000)
}

// uuid is a deterministic UUID for object n of kind k.
func (o *org) uuid(k, n uint64) string {
	s := uint64(o.seed)
	return providersim.UUIDv4(providersim.SplitMix64(s^k<<56^n), providersim.SplitMix64(n*0x9E37^s<<1^k))
}

func (o *org) psARN(n int) string {
	return fmt.Sprintf("arn:aws:sso:::permissionSet/%s/ps-%016x", strings.TrimPrefix(o.instanceARN, "arn:aws:sso:::instance/"),
		providersim.SplitMix64(uint64(o.seed)^uint64(n)<<20^0x7073))
}

// Catalogue permission set names.
const (
	PSAdministrator = "AdministratorAccess"
	PSBreakGlass    = "BreakGlass"
	PSIAMAdmin      = "IAMAdmin"
	PSPowerUser     = "PowerUserAccess"
	PSDeveloper     = "DeveloperAccess"
	PSReadOnly      = "ReadOnlyAccess"
	PSBilling       = "Billing"
	PSSecurityAudit = "SecurityAudit"
)

const (
	inlineStar = `{"Version":"2012-10-17","Statement":[{"Sid":"BreakGlass","Effect":"Allow","Action":"*","Resource":"*"}]}`
	inlineIAM  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy","iam:PutRolePolicy","iam:PassRole"],"Resource":"*"}]}`
	inlineDev  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","logs:*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
)

// catalogue builds n permission sets (at least the eight fixed ones): the fixed sets first, then team sets.
func catalogue(o *org, n int) []*PermissionSet {
	fixed := []PermissionSet{
		{Name: PSAdministrator, Description: "Full access", Managed: []ManagedPolicy{{"AdministratorAccess", AdministratorAccessARN}}},
		{Name: PSBreakGlass, Description: "Emergency access", Inline: inlineStar, SessionDuration: "PT1H"},
		{Name: PSIAMAdmin, Description: "Manages IAM", Managed: []ManagedPolicy{{"IAMFullAccess", IAMFullAccessARN}}, Inline: inlineIAM},
		{Name: PSPowerUser, Description: "Everything but IAM", Managed: []ManagedPolicy{{"PowerUserAccess", PowerUserAccessARN}}},
		{Name: PSDeveloper, Description: "Application developers", CustomerManaged: []PolicyRef{{"DeveloperBase", "/teams/"}}, Inline: inlineDev,
			BoundaryRef: &PolicyRef{"DeveloperBoundary", "/boundaries/"}},
		{Name: PSReadOnly, Description: "Read everything", Managed: []ManagedPolicy{{"ReadOnlyAccess", ReadOnlyAccessARN}}},
		{Name: PSBilling, Description: "Billing console", Managed: []ManagedPolicy{{"Billing", BillingARN}, {"ViewOnlyAccess", ViewOnlyAccessARN}}},
		{Name: PSSecurityAudit, Description: "Security auditors", Managed: []ManagedPolicy{{"SecurityAudit", SecurityAuditARN}}, BoundaryARN: ReadOnlyAccessARN},
	}
	n = max(n, len(fixed))
	out := make([]*PermissionSet, 0, n)
	for i := range n {
		var ps PermissionSet
		if i < len(fixed) {
			ps = fixed[i]
		} else {
			ps = PermissionSet{Name: fmt.Sprintf("Team%03d", i-len(fixed)+1), Description: "Team workload access",
				CustomerManaged: []PolicyRef{{fmt.Sprintf("Team%03dAccess", i-len(fixed)+1), "/"}}}
		}
		ps.ARN = o.psARN(i)
		if ps.SessionDuration == "" {
			ps.SessionDuration = "PT8H"
		}
		ps.Created = o.created.Add(time.Duration(i) * time.Hour)
		out = append(out, &ps)
	}
	return out
}

// assign gives the permission sets to groups and a few users across the accounts.
func (o *org) assign(c *providersim.Company) {
	ps := func(name string) string {
		for _, p := range o.permSets {
			if p.Name == name {
				return p.ARN
			}
		}
		panic("awssim: no permission set " + name)
	}
	seen := map[Assignment]bool{}
	add := func(a Assignment) {
		if !seen[a] {
			seen[a] = true
			o.assignments = append(o.assignments, a)
		}
	}
	nAcc := len(o.accounts)
	nonAdmin := []string{ps(PSPowerUser), ps(PSDeveloper), ps(PSReadOnly), ps(PSBilling), ps(PSSecurityAudit)}
	teams := 0
	for gi, g := range o.groups {
		cg := &c.Groups[gi]
		switch {
		case cg.Kind == providersim.GroupAdmin && containsRole(cg.AdminRoles, providersim.OrgAdmin):
			for _, acc := range o.accounts {
				add(Assignment{acc, ps(PSAdministrator), "GROUP", g.ID})
			}
		case cg.Kind == providersim.GroupAdmin:
			for _, acc := range o.accounts {
				add(Assignment{acc, ps(PSReadOnly), "GROUP", g.ID})
			}
		case cg.Kind == providersim.GroupDepartment:
			add(Assignment{o.accounts[gi%nAcc], nonAdmin[gi%len(nonAdmin)], "GROUP", g.ID})
			add(Assignment{o.accounts[(gi+1)%nAcc], ps(PSReadOnly), "GROUP", g.ID})
		case cg.Kind == providersim.GroupTeam:
			teams++
			add(Assignment{o.accounts[(gi*3)%nAcc], ps(PSDeveloper), "GROUP", g.ID})
		}
	}
	// Team permission sets: each on five accounts, for a team group (or the first group).
	var teamGroups []string
	for gi, g := range o.groups {
		if c.Groups[gi].Kind == providersim.GroupTeam {
			teamGroups = append(teamGroups, g.ID)
		}
	}
	if len(teamGroups) == 0 && len(o.groups) > 0 {
		teamGroups = []string{o.groups[0].ID}
	}
	for j, p := range o.permSets[8:] {
		for k := range 5 {
			add(Assignment{o.accounts[(j*5+k)%nAcc], p.ARN, "GROUP", teamGroups[j%len(teamGroups)]})
		}
	}
	// Direct user assignments: super admins break glass in the management account, app admins manage IAM in
	// the second, and every seventh user reads an account (sometimes one a group already gives them).
	uidx := map[string]int{}
	for i, u := range o.users {
		uidx[u.ID] = i
	}
	i := 0
	for pi := range c.People {
		p := &c.People[pi]
		if !p.HasAccount(providersim.AWS) || p.Kind == providersim.Bot {
			continue
		}
		if i >= len(o.users) {
			break
		}
		u := o.users[i]
		switch {
		case containsRole(p.AdminRoles, providersim.SuperAdmin):
			add(Assignment{o.accounts[0], ps(PSBreakGlass), "USER", u.ID})
		case containsRole(p.AdminRoles, providersim.AppAdmin):
			add(Assignment{o.accounts[1%nAcc], ps(PSIAMAdmin), "USER", u.ID})
		case i%7 == 3:
			add(Assignment{o.accounts[i%nAcc], ps(PSReadOnly), "USER", u.ID})
		}
		i++
	}
	_ = teams
}

func containsRole(rs []providersim.AdminRole, r providersim.AdminRole) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// provisioned lists the accounts a permission set is provisioned to (every account it is assigned in), sorted.
func (o *org) provisioned(psARN string) []string {
	set := map[string]bool{}
	for _, a := range o.assignments {
		if a.PermissionSetARN == psARN {
			set[a.AccountID] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func (o *org) user(id string) (*User, bool) { u, ok := o.usersByID[id]; return u, ok }

func (o *org) group(id string) (*Group, bool) { g, ok := o.groupsByID[id]; return g, ok }

func (o *org) permSet(arn string) (*PermissionSet, bool) { p, ok := o.psByARN[arn]; return p, ok }

// membershipID is the id of user's membership in group.
func (o *org) membershipID(group, user string) string {
	return o.uuid(3, providersim.SplitMix64(hash(group))^hash(user))
}

func hash(s string) uint64 {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}
