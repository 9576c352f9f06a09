package ddsim

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// Datadog's managed roles.
const (
	RoleAdmin    = "Datadog Admin Role"
	RoleStandard = "Datadog Standard Role"
	RoleReadOnly = "Datadog Read Only Role"
)

// Permission names the simulator checks (what the endpoints' docs say they require).
const (
	PermUserAccessRead      = "user_access_read"
	PermAPIKeysRead         = "api_keys_read"
	PermOrgAppKeysRead      = "org_app_keys_read"
	PermServiceAccountWrite = "service_account_write"
	PermAuditLogsRead       = "audit_logs_read"
)

type permission struct {
	ID, Name, Display, Group string
	Restricted               bool
}

// permCatalog is the simulated permission set: name, group, restricted.
var permCatalog = []struct {
	name, group string
	restricted  bool
}{
	{"admin", "General", false},
	{"standard", "General", false},
	{"org_management", "Access Management", false},
	{"user_access_invite", "Access Management", false},
	{"user_access_manage", "Access Management", false},
	{"user_access_read", "Access Management", false},
	{"user_app_keys", "API and Application Keys", false},
	{"org_app_keys_read", "API and Application Keys", false},
	{"org_app_keys_write", "API and Application Keys", false},
	{"api_keys_read", "API and Application Keys", false},
	{"api_keys_write", "API and Application Keys", false},
	{"service_account_write", "Access Management", false},
	{"audit_logs_read", "Compliance", false},
	{"billing_read", "Billing and Usage", false},
	{"billing_edit", "Billing and Usage", false},
	{"usage_read", "Billing and Usage", false},
	{"logs_read_data", "Log Management", true},
	{"logs_read_index_data", "Log Management", true},
	{"dashboards_read", "Dashboards", false},
	{"dashboards_write", "Dashboards", false},
	{"monitors_read", "Monitors", false},
	{"monitors_write", "Monitors", false},
	{"security_monitoring_rules_read", "Cloud Security Platform", false},
	{"security_monitoring_rules_write", "Cloud Security Platform", false},
}

// AdminGradePermissions returns the permissions that make a role privileged in the simulated org: the custom
// roles "Security Engineering" and "User Managers" hold some of them under names that do not say admin.
func AdminGradePermissions() []string { return slices.Clone(adminGrade) }

var adminGrade = []string{"admin", "org_management", "user_access_manage", "user_access_invite", "api_keys_write",
	"org_app_keys_write", "service_account_write", "billing_edit"}

type role struct {
	ID       string
	Name     string
	Created  time.Time
	Modified time.Time
	Perms    []int // indexes into org.perms
	Managed  bool
}

type user struct {
	ID             string
	Email, Handle  string
	Name, Title    string
	Status         string // Active, Pending, Disabled
	Disabled       bool
	Verified       bool
	ServiceAccount bool
	MFA            bool
	LastLogin      time.Time // zero: never
	Created        time.Time
	Modified       time.Time
	Roles          []int // indexes into org.roles
	Person         int   // index in the company, -1 for none
	PersonID       string
	lowerName      string
}

type apiKey struct {
	ID, Name, Last4, Category string
	Created, Modified         time.Time
	LastUsed                  time.Time // zero: never
	CreatedBy                 int       // user index
}

type appKey struct {
	ID, Name, Last4   string
	Created, LastUsed time.Time
	Scopes            []string // nil: unscoped
	Owner             int      // user index
}

// org is the served organization, read-only once built.
type org struct {
	ID      string
	Name    string
	perms   []permission
	roles   []*role
	users   []*user
	apiKeys []*apiKey
	appKeys []*appKey

	userByID   map[string]int
	roleByID   map[string]int
	permByName map[string]int
	counts     []int // users per role
	byName     []int // user indexes by lower-case name, then id
	admin      int   // the user index acting in generated audit events
}

// idGen makes deterministic UUID-shaped ids from the company seed.
type idGen struct{ seed uint64 }

func (g idGen) uuid(kind string, n int) string {
	h := providersim.SplitMix64(g.seed ^ uint64(n)*0x9E3779B97F4A7C15)
	for _, c := range kind {
		h = providersim.SplitMix64(h ^ uint64(c))
	}
	return providersim.UUIDv4(h, providersim.SplitMix64(h^0xD1B54A32D192ED03))
}

// buildOrg derives the organization from the company; the same company yields the same organization.
func buildOrg(c *providersim.Company, opts Options) *org {
	g := idGen{seed: providersim.SplitMix64(uint64(c.Config.Seed) ^ 0x646f67)}
	o := &org{ID: g.uuid("org", 0), Name: c.Name, userByID: map[string]int{}, roleByID: map[string]int{}, permByName: map[string]int{}}
	orgCreated := c.Now.AddDate(-3, 0, 0)
	for i, p := range permCatalog {
		o.perms = append(o.perms, permission{ID: g.uuid("perm", i), Name: p.name, Group: p.group, Restricted: p.restricted,
			Display: displayName(p.name)})
		o.permByName[p.name] = i
	}
	pick := func(keep func(name string) bool) []int {
		var out []int
		for i, p := range o.perms {
			if keep(p.Name) {
				out = append(out, i)
			}
		}
		return out
	}
	isRead := func(n string) bool {
		return strings.HasSuffix(n, "_read") || n == "logs_read_data" || n == "logs_read_index_data"
	}
	addRole := func(name string, managed bool, perms []int) int {
		r := &role{ID: g.uuid("role", len(o.roles)), Name: name, Managed: managed, Perms: perms,
			Created: orgCreated.Add(time.Duration(len(o.roles)) * time.Hour)}
		r.Modified = r.Created.Add(24 * time.Hour)
		o.roles = append(o.roles, r)
		return len(o.roles) - 1
	}
	rAdmin := addRole(RoleAdmin, true, pick(func(string) bool { return true }))
	rStandard := addRole(RoleStandard, true, pick(func(n string) bool {
		return n == "standard" || isRead(n) && n != "audit_logs_read" && n != "org_app_keys_read" ||
			n == "dashboards_write" || n == "monitors_write" || n == "user_app_keys"
	}))
	rReadOnly := addRole(RoleReadOnly, true, pick(func(n string) bool {
		return isRead(n) && n != "audit_logs_read" && n != "org_app_keys_read" && n != "api_keys_read" && n != "billing_read"
	}))
	rSecurity := addRole("Security Engineering", false, pick(func(n string) bool {
		return isRead(n) || n == "user_access_manage" || n == "api_keys_write" || n == "security_monitoring_rules_write"
	}))
	rUserMgr := addRole("User Managers", false, pick(func(n string) bool {
		return n == "user_access_read" || n == "user_access_invite" || n == "user_access_manage"
	}))
	rAuditor := addRole("Compliance Auditors", false, pick(func(n string) bool {
		return n == "audit_logs_read" || n == "user_access_read" || n == "api_keys_read" || n == "org_app_keys_read"
	}))
	var extra []int
	for i := range opts.ExtraRoles {
		extra = append(extra, addRole(fmt.Sprintf("Team Role %02d", i+1), false, pick(func(n string) bool {
			return n == "dashboards_read" || n == "monitors_read" || (i%2 == 0 && n == "logs_read_data")
		})))
	}

	for i := range c.People {
		p := &c.People[i]
		if !p.HasAccount(providersim.Datadog) {
			continue
		}
		if opts.Users > 0 && len(o.users) >= opts.Users {
			break
		}
		u := &user{ID: g.uuid("user", i), Name: p.DisplayName, Title: p.Title, Person: i, PersonID: p.ID, Created: p.Created}
		u.Email = p.EmailIn(providersim.Datadog)
		u.Handle = u.Email
		if u.Handle == "" {
			u.Handle = p.Username
		}
		u.ServiceAccount = p.Kind == providersim.Service || p.Kind == providersim.Bot
		u.Verified = true
		switch p.StatusIn(providersim.Datadog) {
		case providersim.Active:
			u.Status = "Active"
		case providersim.Staged:
			u.Status, u.Verified = "Pending", false
		default: // suspended, leaver
			u.Status, u.Disabled = "Disabled", true
		}
		u.MFA = !u.ServiceAccount && len(p.Factors) > 0
		if !u.ServiceAccount && u.Verified {
			u.LastLogin = p.LastLogin
		}
		u.Modified = u.Created
		if !p.StatusChanged.IsZero() && p.StatusChanged.After(u.Modified) {
			u.Modified = p.StatusChanged
		}
		// Roles from the person's admin roles; everyone else is a standard user (externals and service
		// accounts read-only).
		for _, ar := range p.AdminRoles {
			switch ar {
			case providersim.SuperAdmin, providersim.OrgAdmin:
				u.Roles = appendUnique(u.Roles, rAdmin)
			case providersim.AppAdmin:
				u.Roles = appendUnique(u.Roles, rSecurity)
			case providersim.UserAdmin, providersim.HelpDeskAdmin:
				u.Roles = appendUnique(u.Roles, rUserMgr)
			case providersim.ReadOnlyAdmin:
				u.Roles = appendUnique(u.Roles, rAuditor)
			}
		}
		if len(u.Roles) == 0 || !slices.Contains(u.Roles, rAdmin) {
			base := rStandard
			if p.Kind == providersim.External || u.ServiceAccount {
				base = rReadOnly
			}
			u.Roles = append([]int{base}, u.Roles...)
		}
		if len(extra) > 0 && !u.ServiceAccount {
			u.Roles = append(u.Roles, extra[len(o.users)%len(extra)])
		}
		o.users = append(o.users, u)
	}
	// The custom roles (two hold admin-grade permissions) always have a member (the first active engineers
	// without another admin role), so a connector has someone to flag by permissions rather than by name.
	for _, cr := range []int{rSecurity, rUserMgr, rAuditor} {
		if slices.ContainsFunc(o.users, func(u *user) bool { return slices.Contains(u.Roles, cr) }) {
			continue
		}
		for _, u := range o.users {
			if u.Status == "Active" && !u.ServiceAccount && slices.Contains(u.Roles, rStandard) &&
				!slices.ContainsFunc(u.Roles, func(r int) bool { return r == rSecurity || r == rUserMgr || r == rAuditor }) {
				u.Roles = append(u.Roles, cr)
				break
			}
		}
	}
	o.admin = -1
	for i, u := range o.users {
		if u.Status == "Active" && !u.ServiceAccount && slices.Contains(u.Roles, rAdmin) {
			o.admin = i
			break
		}
	}
	if o.admin < 0 && len(o.users) > 0 {
		o.admin = 0
		o.users[0].Roles = appendUnique(o.users[0].Roles, rAdmin)
	}
	for i, u := range o.users {
		o.userByID[u.ID] = i
	}
	o.byName = make([]int, len(o.users))
	for i, u := range o.users {
		o.byName[i] = i
		u.lowerName = strings.ToLower(u.Name)
	}
	slices.SortStableFunc(o.byName, func(a, b int) int {
		return cmp.Or(cmp.Compare(o.users[a].lowerName, o.users[b].lowerName), cmp.Compare(o.users[a].ID, o.users[b].ID))
	})
	o.counts = make([]int, len(o.roles))
	for i, r := range o.roles {
		o.roleByID[r.ID] = i
	}
	for _, u := range o.users {
		for _, r := range u.Roles {
			o.counts[r]++
		}
	}
	o.buildKeys(g, c.Now)
	for range opts.ExtraKeys {
		o.addAppKey(g, c.Now, len(o.appKeys)%max(1, len(o.users)), nil)
	}
	return o
}

// buildKeys gives each service account an API key and an application key (the integration's, scoped for the
// first), each active admin an unscoped application key, and the org two API keys its admin created.
func (o *org) buildKeys(g idGen, now time.Time) {
	if len(o.users) == 0 {
		return
	}
	for _, name := range []string{"Datadog Agent", "Terraform"} {
		o.addAPIKey(g, now, name, o.admin)
	}
	first := true
	for i, u := range o.users {
		switch {
		case u.ServiceAccount:
			o.addAPIKey(g, now, u.Name+" API key", i)
			var scopes []string
			if first {
				scopes, first = []string{PermUserAccessRead, PermAuditLogsRead}, false
			}
			o.addAppKey(g, now, i, scopes)
		case u.Status == "Active" && slices.ContainsFunc(u.Roles, func(r int) bool { return o.roles[r].Name == RoleAdmin }):
			o.addAppKey(g, now, i, nil)
		}
	}
}

func (o *org) addAPIKey(g idGen, now time.Time, name string, by int) {
	n := len(o.apiKeys)
	id := g.uuid("apikey", n)
	k := &apiKey{ID: id, Name: name, Last4: last4(id), Category: "default", CreatedBy: by,
		Created: now.AddDate(0, 0, -(30 + 17*n%700))}
	k.Modified = k.Created
	if n%5 != 4 { // most are in use; every fifth was never used
		k.LastUsed = now.Add(-time.Duration(1+n*37%(24*90)) * time.Hour)
	}
	o.apiKeys = append(o.apiKeys, k)
}

func (o *org) addAppKey(g idGen, now time.Time, owner int, scopes []string) {
	n := len(o.appKeys)
	id := g.uuid("appkey", n)
	name := o.users[owner].Name + " key"
	if n > 0 {
		name = fmt.Sprintf("%s key %d", o.users[owner].Name, n)
	}
	k := &appKey{ID: id, Name: name, Last4: last4(id), Owner: owner, Scopes: scopes,
		Created: now.AddDate(0, 0, -(10 + 13*n%900))}
	if n%4 != 3 {
		k.LastUsed = now.Add(-time.Duration(1+n*53%(24*200)) * time.Hour)
	}
	o.appKeys = append(o.appKeys, k)
}

func last4(id string) string { return id[len(id)-4:] }

func appendUnique(s []int, v int) []int {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func displayName(name string) string {
	parts := strings.Split(name, "_")
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, " ")
}

// userCount is the number of users holding role r.
func (o *org) userCount(r int) int { return o.counts[r] }
