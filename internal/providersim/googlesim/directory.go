package googlesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// neverLoggedIn is the lastLoginTime Google reports for users who never signed in.
const neverLoggedIn = "1970-01-01T00:00:00.000Z"

// User is a Directory API user resource (the fields the simulator serves).
type User struct {
	Kind                       string   `json:"kind"`
	ID                         string   `json:"id"`
	Etag                       string   `json:"etag"`
	PrimaryEmail               string   `json:"primaryEmail"`
	Name                       UserName `json:"name"`
	IsAdmin                    bool     `json:"isAdmin"`
	IsDelegatedAdmin           bool     `json:"isDelegatedAdmin"`
	LastLoginTime              string   `json:"lastLoginTime"`
	CreationTime               string   `json:"creationTime"`
	DeletionTime               string   `json:"deletionTime,omitempty"`
	AgreedToTerms              bool     `json:"agreedToTerms"`
	Suspended                  bool     `json:"suspended"`
	SuspensionReason           string   `json:"suspensionReason,omitempty"`
	Archived                   bool     `json:"archived"`
	ChangePasswordAtNextLogin  bool     `json:"changePasswordAtNextLogin"`
	IPWhitelisted              bool     `json:"ipWhitelisted"`
	Emails                     []Email  `json:"emails"`
	Aliases                    []string `json:"aliases,omitempty"`
	NonEditableAliases         []string `json:"nonEditableAliases,omitempty"`
	CustomerID                 string   `json:"customerId"`
	OrgUnitPath                string   `json:"orgUnitPath"`
	IsMailboxSetup             bool     `json:"isMailboxSetup"`
	IsEnrolledIn2Sv            bool     `json:"isEnrolledIn2Sv"`
	IsEnforcedIn2Sv            bool     `json:"isEnforcedIn2Sv"`
	IncludeInGlobalAddressList bool     `json:"includeInGlobalAddressList"`
	IsGuestUser                bool     `json:"isGuestUser,omitempty"`
	ThumbnailPhotoURL          string   `json:"thumbnailPhotoUrl,omitempty"`

	person    int       // index in Company.People
	deleted   bool      // listed only with showDeleted=true, until deletedRetention after deletedAt
	deletedAt time.Time // when it was deleted
}

// deletedRetention is how long Google keeps a deleted user (and lists it with showDeleted=true): it can be restored
// for 20 days, then it is purged.
const deletedRetention = 20 * 24 * time.Hour

// listedDeleted reports whether a deleted user is still listed with showDeleted=true at now.
func (u *User) listedDeleted(now time.Time) bool {
	return u.deleted && now.Sub(u.deletedAt) < deletedRetention
}

// UserName is a user's name.
type UserName struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	FullName   string `json:"fullName"`
}

// Email is one of a user's addresses.
type Email struct {
	Address string `json:"address"`
	Primary bool   `json:"primary,omitempty"`
}

// Group is a Directory API group resource.
type Group struct {
	Kind               string   `json:"kind"`
	ID                 string   `json:"id"`
	Etag               string   `json:"etag"`
	Email              string   `json:"email"`
	Name               string   `json:"name"`
	DirectMembersCount string   `json:"directMembersCount"`
	Description        string   `json:"description"`
	AdminCreated       bool     `json:"adminCreated"`
	Aliases            []string `json:"aliases,omitempty"`

	members []Member
}

// Member is a group member resource: a user, a nested group or the whole customer.
type Member struct {
	Kind   string `json:"kind"`
	Etag   string `json:"etag"`
	ID     string `json:"id"`
	Email  string `json:"email,omitempty"`
	Role   string `json:"role"`
	Type   string `json:"type"`
	Status string `json:"status,omitempty"`
	// DeliverySettings is sent as Google spells it.
	DeliverySettings string `json:"delivery_settings,omitempty"`
}

// Role is an admin role resource.
type Role struct {
	Kind             string          `json:"kind"`
	Etag             string          `json:"etag"`
	RoleID           string          `json:"roleId"`
	RoleName         string          `json:"roleName"`
	RoleDescription  string          `json:"roleDescription"`
	RolePrivileges   []RolePrivilege `json:"rolePrivileges"`
	IsSystemRole     bool            `json:"isSystemRole"`
	IsSuperAdminRole bool            `json:"isSuperAdminRole"`
}

// RolePrivilege is one privilege of a role.
type RolePrivilege struct {
	PrivilegeName string `json:"privilegeName"`
	ServiceID     string `json:"serviceId"`
}

// RoleAssignment gives a user or a group an admin role, customer-wide or on an org unit.
type RoleAssignment struct {
	Kind             string `json:"kind"`
	Etag             string `json:"etag"`
	RoleAssignmentID string `json:"roleAssignmentId"`
	RoleID           string `json:"roleId"`
	AssignedTo       string `json:"assignedTo"`
	AssigneeType     string `json:"assigneeType"`
	ScopeType        string `json:"scopeType"`
	OrgUnitID        string `json:"orgUnitId,omitempty"`
}

// Token is an OAuth token a user granted a third-party app.
type Token struct {
	Kind        string   `json:"kind"`
	Etag        string   `json:"etag"`
	ClientID    string   `json:"clientId"`
	DisplayText string   `json:"displayText"`
	Scopes      []string `json:"scopes"`
	UserKey     string   `json:"userKey"`
	Anonymous   bool     `json:"anonymous"`
	NativeApp   bool     `json:"nativeApp"`
}

// directory is the domain's Directory API state.
type directory struct {
	customerID string
	domain     string
	users      []*User
	byKey      map[string]*User // id, primary email and aliases (lower case)
	groups     []*Group
	groupByKey map[string]*Group // id, email (lower case)
	roles      []Role
	roleOf     map[providersim.AdminRole]string
	assigns    []RoleAssignment
	tokens     map[string][]Token // user id → tokens
	superAdmin int                // index in users of the first super admin
}

// Object kinds mixed into generated ids.
const (
	kindUser uint64 = iota + 1
	kindGroup
	kindCustomer
	kindRole
	kindAssignment
	kindClient
	kindActivity
	kindEtag
)

func mix(seed int64, kind, n uint64) uint64 {
	return providersim.SplitMix64(uint64(seed) ^ kind<<56 ^ providersim.SplitMix64(n))
}

// numericID returns a Google-shaped numeric id of 21 digits (users, clients) for (seed, kind, n).
func numericID(seed int64, kind, n uint64) string {
	return "10" + fmt.Sprintf("%019d", mix(seed, kind, n)%1e19)
}

// groupID returns a group id shaped like Google's ("0" and 14 base-36 characters).
func groupID(seed int64, n uint64) string {
	s := strconv.FormatUint(mix(seed, kindGroup, n), 36)
	for len(s) < 14 {
		s = "0" + s
	}
	return "0" + s[:14]
}

func etag(seed int64, n uint64) string {
	return `"` + strconv.FormatUint(mix(seed, kindEtag, n), 36) + `/sim"`
}

func rfc3339(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// systemRoles are the roles the company's admin roles map to.
var systemRoles = []struct {
	role       providersim.AdminRole
	name, desc string
	system     bool
	super      bool
	privileges []string
}{
	{providersim.SuperAdmin, "_SEED_ADMIN_ROLE", "Google Workspace Administrator Seed Role", true, true, []string{"SUPER_ADMIN"}},
	{providersim.OrgAdmin, "_GROUPS_ADMIN_ROLE", "Groups Administrator", true, false, []string{"GROUPS_ALL", "ORGANIZATION_UNITS_RETRIEVE"}},
	{providersim.UserAdmin, "_USER_MANAGEMENT_ADMIN_ROLE", "User Management Administrator", true, false, []string{"USERS_ALL", "ORGANIZATION_UNITS_RETRIEVE"}},
	{providersim.HelpDeskAdmin, "_HELP_DESK_ADMIN_ROLE", "Help Desk Administrator", true, false, []string{"USERS_RETRIEVE", "USERS_RESET_PASSWORD"}},
	{providersim.AppAdmin, "_SERVICES_ADMIN_ROLE", "Services Administrator", true, false, []string{"APP_ADMIN", "MANAGE_APPS"}},
	{providersim.ReadOnlyAdmin, "Read-only Auditor", "Custom role: reads users, groups and reports", false, false, []string{"USERS_RETRIEVE", "GROUPS_RETRIEVE", "REPORTS_ACCESS"}},
}

// buildDirectory turns the company into the domain: its Google users, groups with members (an extra group nests
// the department groups), roles, role assignments and OAuth tokens.
func buildDirectory(c *providersim.Company) *directory {
	seed := c.Config.Seed
	d := &directory{domain: c.Domain, byKey: map[string]*User{}, groupByKey: map[string]*Group{},
		tokens: map[string][]Token{}, roleOf: map[providersim.AdminRole]string{}, superAdmin: -1}
	d.customerID = "C0" + strings.ToLower(strconv.FormatUint(mix(seed, kindCustomer, 0)%(36*36*36*36*36*36*36), 36))
	userOf := make(map[int]*User, len(c.People))
	for i := range c.People {
		p := &c.People[i]
		if !p.HasAccount(providersim.Google) || p.Kind == providersim.External {
			continue
		}
		u := d.newUser(c, p)
		d.users = append(d.users, u)
		userOf[i] = u
		if !u.deleted {
			d.index(u)
		}
	}
	d.buildRoles(seed)
	for ui, u := range d.users {
		p := &c.People[u.person]
		if u.deleted {
			continue
		}
		for _, r := range p.AdminRoles {
			if r == providersim.SuperAdmin {
				u.IsAdmin = true
				if d.superAdmin < 0 {
					d.superAdmin = ui
				}
				continue
			}
			u.IsDelegatedAdmin = true
			d.assign(seed, d.roleOf[r], u.ID, "user", len(d.assigns)%4 == 3)
		}
		if u.IsAdmin {
			d.assign(seed, d.roleOf[providersim.SuperAdmin], u.ID, "user", false)
		}
	}
	if d.superAdmin < 0 && len(d.users) > 0 {
		d.superAdmin = 0
		d.users[0].IsAdmin = true
		d.assign(seed, d.roleOf[providersim.SuperAdmin], d.users[0].ID, "user", false)
	}
	d.buildGroups(c, userOf)
	d.buildTokens(c, userOf)
	return d
}

func (d *directory) newUser(c *providersim.Company, p *providersim.Person) *User {
	seed := c.Config.Seed
	email := p.EmailIn(providersim.Google)
	if email == "" { // an address no person record holds: the account needs an anchor
		email = p.Username + "@legacy." + c.Domain
	}
	u := &User{Kind: "admin#directory#user", ID: numericID(seed, kindUser, uint64(p.Index)), Etag: etag(seed, uint64(p.Index)),
		PrimaryEmail: email, Name: UserName{GivenName: p.FirstName, FamilyName: p.LastName, FullName: p.DisplayName},
		LastLoginTime: neverLoggedIn, CreationTime: rfc3339(p.Created), AgreedToTerms: !p.LastLogin.IsZero(),
		CustomerID: d.customerID, IsMailboxSetup: true, IncludeInGlobalAddressList: true, person: p.Index}
	if !p.LastLogin.IsZero() {
		u.LastLoginTime = rfc3339(p.LastLogin)
	}
	u.Emails = []Email{{Address: email, Primary: true}}
	if p.Index%7 == 3 && strings.EqualFold(email, p.Email) {
		alias := p.Username + "@" + c.Domain
		if !strings.EqualFold(alias, email) {
			u.Aliases = []string{alias}
			u.Emails = append(u.Emails, Email{Address: alias})
		}
	}
	u.NonEditableAliases = []string{strings.Replace(email, "@", "@test-google-a.", 1)}
	switch {
	case p.Kind == providersim.Service:
		u.OrgUnitPath = "/Service Accounts"
	case p.Kind == providersim.Contractor:
		u.OrgUnitPath = "/Contractors"
	case p.Department != "":
		u.OrgUnitPath = "/" + p.Department
	default:
		u.OrgUnitPath = "/"
	}
	switch p.StatusIn(providersim.Google) {
	case providersim.Suspended:
		if p.Index%3 == 0 {
			u.Archived = true
		} else {
			u.Suspended, u.SuspensionReason = true, "ADMIN"
		}
	case providersim.Leaver:
		u.deleted, u.deletedAt, u.DeletionTime = true, p.LeftAt, rfc3339(p.LeftAt)
	case providersim.Staged:
		u.ChangePasswordAtNextLogin = true
	}
	for _, f := range p.Factors {
		if f.Active {
			u.IsEnrolledIn2Sv = true
		}
	}
	u.IsEnforcedIn2Sv = c.Security.RequireMFA && (p.IsAdmin() || p.Department == "IT" || p.Department == "Security")
	return u
}

func (d *directory) index(u *User) {
	d.byKey[u.ID] = u
	d.byKey[strings.ToLower(u.PrimaryEmail)] = u
	for _, a := range u.Aliases {
		d.byKey[strings.ToLower(a)] = u
	}
}

func (d *directory) buildRoles(seed int64) {
	for i, r := range systemRoles {
		id := strconv.FormatUint(mix(seed, kindRole, uint64(i))%1e17, 10)
		role := Role{Kind: "admin#directory#role", Etag: etag(seed, 1<<40+uint64(i)), RoleID: id, RoleName: r.name,
			RoleDescription: r.desc, IsSystemRole: r.system, IsSuperAdminRole: r.super}
		for _, pr := range r.privileges {
			role.RolePrivileges = append(role.RolePrivileges, RolePrivilege{PrivilegeName: pr, ServiceID: "00haapch16h1ysv"})
		}
		d.roles = append(d.roles, role)
		d.roleOf[r.role] = id
	}
}

// assign adds a role assignment; onOrgUnit scopes it to an org unit instead of the customer.
func (d *directory) assign(seed int64, roleID, to, assigneeType string, onOrgUnit bool) {
	n := uint64(len(d.assigns))
	a := RoleAssignment{Kind: "admin#directory#roleAssignment", Etag: etag(seed, 1<<41+n),
		RoleAssignmentID: strconv.FormatUint(mix(seed, kindAssignment, n)%1e17, 10), RoleID: roleID,
		AssignedTo: to, AssigneeType: assigneeType, ScopeType: "CUSTOMER"}
	if onOrgUnit {
		a.ScopeType, a.OrgUnitID = "ORG_UNIT", "id:03ph8a2z"+strconv.FormatUint(n%1000, 36)
	}
	d.assigns = append(d.assigns, a)
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func (d *directory) buildGroups(c *providersim.Company, userOf map[int]*User) {
	seed := c.Config.Seed
	var departments []*Group
	for gi := range c.Groups {
		cg := &c.Groups[gi]
		g := &Group{Kind: "admin#directory#group", ID: groupID(seed, uint64(gi)), Etag: etag(seed, 1<<42+uint64(gi)),
			Email: slug(cg.Name) + "@" + c.Domain, Name: cg.Name, Description: cg.Description, AdminCreated: true}
		if gi%9 == 4 {
			g.Aliases = []string{slug(cg.Name) + "-alias@" + c.Domain}
		}
		n := 0
		for _, pi := range cg.Members {
			u, ok := userOf[pi]
			if !ok || u.deleted {
				continue
			}
			role := "MEMBER"
			switch {
			case n == 0 && len(cg.Members) >= 3:
				role = "OWNER"
			case n == 1 && len(cg.Members) >= 5:
				role = "MANAGER"
			}
			n++
			g.members = append(g.members, d.member(seed, u.ID, u.PrimaryEmail, role, "USER", u))
		}
		if cg.Kind == providersim.GroupDepartment {
			departments = append(departments, g)
		}
		for _, r := range cg.AdminRoles {
			d.assign(seed, d.roleOf[r], g.ID, "group", false)
		}
		d.addGroup(g)
	}
	if len(departments) > 0 {
		all := &Group{Kind: "admin#directory#group", ID: groupID(seed, 1<<30), Etag: etag(seed, 1<<43),
			Email: "all-departments@" + c.Domain, Name: "All Departments", Description: "Every department group", AdminCreated: true}
		for _, g := range departments {
			all.members = append(all.members, d.member(seed, g.ID, g.Email, "MEMBER", "GROUP", nil))
		}
		if d.superAdmin >= 0 {
			u := d.users[d.superAdmin]
			all.members = append([]Member{d.member(seed, u.ID, u.PrimaryEmail, "OWNER", "USER", u)}, all.members...)
		}
		d.addGroup(all)
	}
}

func (d *directory) member(seed int64, id, email, role, typ string, u *User) Member {
	m := Member{Kind: "admin#directory#member", Etag: etag(seed, fnv(id+"/"+role)),
		ID: id, Email: email, Role: role, Type: typ, DeliverySettings: "ALL_MAIL"}
	if typ == "USER" {
		m.Status = "ACTIVE"
		if u != nil && (u.Suspended || u.Archived) {
			m.Status = "SUSPENDED"
		}
	}
	return m
}

func (d *directory) addGroup(g *Group) {
	g.DirectMembersCount = strconv.Itoa(len(g.members))
	d.groups = append(d.groups, g)
	d.groupByKey[g.ID] = g
	d.groupByKey[strings.ToLower(g.Email)] = g
	for _, a := range g.Aliases {
		d.groupByKey[strings.ToLower(a)] = g
	}
}

// ClientID returns the Google OAuth client id the domain shows for an app key ("<12 digits>-<hash>.apps.googleusercontent.com").
func ClientID(seed int64, appKey string) string {
	x := mix(seed, kindClient, fnv(appKey))
	return fmt.Sprintf("%012d-%s.apps.googleusercontent.com", x%1e12, strconv.FormatUint(providersim.SplitMix64(x), 36))
}

// appName returns the display name of a shadow or managed app key.
func appName(c *providersim.Company, key string) string {
	for _, a := range c.ShadowApps {
		if a.Key == key {
			return a.Name
		}
	}
	if a, ok := c.AppByKey(key); ok {
		return a.Name
	}
	return key
}

// buildTokens turns the company's Google OAuth grants into per-user tokens, one per (user, client), scopes
// merged.
func (d *directory) buildTokens(c *providersim.Company, userOf map[int]*User) {
	seed := c.Config.Seed
	type key struct {
		user   string
		client string
	}
	at := map[key]int{}
	for _, g := range c.OAuthGrants {
		if g.Provider != providersim.Google {
			continue
		}
		u, ok := userOf[g.Person]
		if !ok || u.deleted {
			continue
		}
		client := ClientID(seed, g.App)
		k := key{u.ID, client}
		if i, ok := at[k]; ok {
			t := &d.tokens[u.ID][i]
			t.Scopes = mergeScopes(t.Scopes, g.Scopes)
			continue
		}
		h := mix(seed, kindClient, fnv(g.App))
		t := Token{Kind: "admin#directory#token", Etag: etag(seed, h^uint64(len(d.tokens[u.ID]))), ClientID: client,
			DisplayText: appName(c, g.App), Scopes: mergeScopes(nil, g.Scopes), UserKey: u.ID,
			Anonymous: h%11 == 0, NativeApp: h%5 == 0}
		at[k] = len(d.tokens[u.ID])
		d.tokens[u.ID] = append(d.tokens[u.ID], t)
	}
}

func mergeScopes(have, add []string) []string {
	out := append([]string(nil), have...)
	for _, s := range add {
		found := false
		for _, h := range out {
			if h == s {
				found = true
				break
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// user returns the live user with the key (id, primary email or alias).
func (d *directory) user(key string) (*User, bool) {
	u, ok := d.byKey[strings.ToLower(key)]
	return u, ok
}

// group returns the group with the key (id, email or alias).
func (d *directory) group(key string) (*Group, bool) {
	g, ok := d.groupByKey[strings.ToLower(key)]
	return g, ok
}

// isAdmin reports whether the user may use the Admin SDK: a super admin or a holder of any role assignment,
// directly or through a group.
func (d *directory) isAdmin(u *User) bool {
	if u.IsAdmin || u.IsDelegatedAdmin {
		return true
	}
	for _, a := range d.assigns {
		if a.AssigneeType != "group" {
			continue
		}
		if g, ok := d.group(a.AssignedTo); ok {
			for _, m := range g.members {
				if m.ID == u.ID {
					return true
				}
			}
		}
	}
	return false
}

// fnv is the 64-bit FNV-1a hash of s.
func fnv(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}
