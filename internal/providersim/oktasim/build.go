package oktasim

import (
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// buildOrg turns the neutral company into an Okta org: users (people with an
// Okta account), the built-in Everyone group plus the company's groups, the
// Okta first-party apps plus the company's apps, assignments, roles, factors
// and the posture objects.
//
// It also returns the user of each company person (nil without an Okta
// account) and the app of each company app key.
func buildOrg(c *providersim.Company, ids idMaker) (*org, []*user, map[string]*app) {
	sub := alnum(c.Name)
	if sub == "" {
		sub = "org"
	}
	o := &org{
		id: ids.id(prefixOrg, 1), name: c.Name, subdomain: sub,
		created:     c.Now.Add(-6 * 365 * 24 * time.Hour),
		seqs:        map[string]int64{},
		userByID:    make(map[string]*user, len(c.People)),
		userByLogin: make(map[string]*user, len(c.People)),
		groupByID:   make(map[string]*group, len(c.Groups)+1),
		appByID:     make(map[string]*app, len(c.Apps)+3),
		policyByID:  map[string]*policy{},
	}
	_, o.userTypeID = o.next(ids, prefixUserType)
	buildPosture(o, c, ids)
	byPerson := buildUsers(o, c, ids)
	buildGroups(o, c, ids, byPerson)
	appByKey := buildApps(o, c, ids, byPerson)
	return o, byPerson, appByKey
}

// alnum returns s lower-cased with everything but letters and digits removed.
func alnum(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func buildUsers(o *org, c *providersim.Company, ids idMaker) []*user {
	byPerson := make([]*user, len(c.People))
	for i := range c.People {
		p := &c.People[i]
		if !p.HasAccount(providersim.Okta) {
			continue
		}
		seq, id := o.next(ids, prefixUser)
		u := &user{seq: seq, id: id, person: i, created: p.Created, statusChanged: p.StatusChanged, lastLogin: p.LastLogin}
		u.status = oktaStatus(p)
		if u.status != "STAGED" && u.status != "PROVISIONED" {
			u.activated = p.Created.Add(time.Hour)
		}
		u.lastUpdated = u.statusChanged
		if edit := c.Now.Add(-time.Duration(i*7919%90) * 24 * time.Hour); p.Status == providersim.Active && edit.After(u.lastUpdated) {
			u.lastUpdated = edit
		}
		u.credProvider, u.credProviderName = "OKTA", "OKTA"
		if p.Kind != providersim.Service && i%10 < 3 {
			u.credProvider, u.credProviderName = "ACTIVE_DIRECTORY", "corp."+c.Domain
		} else if !u.activated.IsZero() {
			u.passwordChanged = u.activated
		}
		u.p = profileOf(c, p)
		o.addUser(u)
		byPerson[i] = u
		for _, ar := range p.AdminRoles {
			typ, label := roleType(ar)
			_, rid := o.next(ids, prefixRole)
			u.roles = append(u.roles, &role{id: rid, typ: typ, label: label, assignmentType: "USER", created: u.created.Add(24 * time.Hour)})
		}
		for _, f := range p.Factors {
			u.factors = append(u.factors, newFactor(o, ids, f.Type, f.Enrolled, f.Active, f.Phone, u.p.email))
		}
	}
	return byPerson
}

// addUser indexes a new user (its seq must be the largest so far).
func (o *org) addUser(u *user) {
	o.users = append(o.users, u)
	o.userByID[u.id] = u
	o.userByLogin[strings.ToLower(u.p.login)] = u
}

// oktaStatus maps a person's status to an Okta user status, with a few
// locked-out and password-expired users among the active ones.
func oktaStatus(p *providersim.Person) string {
	switch p.StatusIn(providersim.Okta) {
	case providersim.Staged:
		if p.Index%2 == 0 {
			return "STAGED"
		}
		return "PROVISIONED"
	case providersim.Suspended:
		return "SUSPENDED"
	case providersim.Leaver:
		return "DEPROVISIONED"
	}
	switch {
	case p.Kind.Human() && p.Index%97 == 96:
		return "LOCKED_OUT"
	case p.Kind.Human() && p.Index%89 == 88:
		return "PASSWORD_EXPIRED"
	}
	return "ACTIVE"
}

func profileOf(c *providersim.Company, p *providersim.Person) profile {
	email := p.EmailIn(providersim.Okta)
	login := email
	if login == "" {
		login = p.Username
	}
	pr := profile{
		login: login, email: email, firstName: p.FirstName, lastName: p.LastName,
		displayName: p.DisplayName, department: p.Department, title: p.Title,
		employeeNumber: p.EmployeeNumber, organization: c.Name, city: p.Location, mobilePhone: p.Phone,
	}
	switch p.Kind {
	case providersim.Contractor:
		pr.userType = "Contractor"
	case providersim.Service:
		pr.userType = "Service"
	default:
		pr.userType = "Employee"
	}
	if p.Manager >= 0 {
		m := &c.People[p.Manager]
		pr.manager, pr.managerID = m.DisplayName, m.EmployeeNumber
	}
	return pr
}

// newFactor makes an Okta factor for a neutral factor type.
func newFactor(o *org, ids idMaker, t providersim.FactorType, enrolled time.Time, active bool, phone, email string) *factor {
	f := &factor{status: "ACTIVE", created: enrolled, lastUpdated: enrolled}
	if !active {
		f.status = "PENDING_ACTIVATION"
	}
	prefix := "mfa"
	switch t {
	case providersim.FactorPush:
		f.typ, f.provider, prefix = "push", "OKTA", "opf"
	case providersim.FactorSignedNonce:
		f.typ, f.provider, prefix = "signed_nonce", "OKTA", "pfd"
	case providersim.FactorWebAuthn:
		f.typ, f.provider, prefix = "webauthn", "FIDO", "fwf"
	case providersim.FactorTOTP:
		f.typ, f.provider, prefix = "token:software:totp", "GOOGLE", "uft"
	case providersim.FactorSMS:
		f.typ, f.provider, f.phone, prefix = "sms", "OKTA", phone, "mbl"
	case providersim.FactorEmail:
		f.typ, f.provider, f.email, prefix = "email", "OKTA", email, "emf"
	case providersim.FactorQuestion:
		f.typ, f.provider, prefix = "question", "OKTA", "ufq"
	default:
		f.typ, f.provider, prefix = "token:hardware", "YUBICO", "ykf"
	}
	f.vendorName = f.provider
	_, f.id = o.next(ids, prefix)
	return f
}

func buildGroups(o *org, c *providersim.Company, ids idMaker, byPerson []*user) {
	seq, id := o.next(ids, prefixGroup)
	o.everyone = &group{seq: seq, id: id, typ: "BUILT_IN", name: "Everyone", description: "All users in your organization",
		created: o.created, lastUpdated: o.created, lastMembershipUpdated: c.Now}
	o.everyone.members = append([]*user(nil), o.users...)
	o.addGroup(o.everyone)
	for _, u := range o.users {
		u.groups = append(u.groups, o.everyone)
	}
	for gi := range c.Groups {
		cg := &c.Groups[gi]
		seq, id := o.next(ids, prefixGroup)
		g := &group{seq: seq, id: id, typ: "OKTA_GROUP", name: cg.Name, description: cg.Description,
			created: cg.Created, lastUpdated: cg.Created}
		if cg.Kind == providersim.GroupDepartment {
			g.typ = "APP_GROUP" // imported from the directory
		}
		g.lastMembershipUpdated = c.Now.Add(-time.Duration(gi%30) * 24 * time.Hour)
		if g.lastMembershipUpdated.Before(g.created) {
			g.lastMembershipUpdated = g.created
		}
		g.members = make([]*user, 0, len(cg.Members))
		for _, pi := range cg.Members {
			if u := byPerson[pi]; u != nil {
				g.members = append(g.members, u)
				u.groups = append(u.groups, g)
			}
		}
		for _, ar := range cg.AdminRoles {
			typ, label := roleType(ar)
			_, rid := o.next(ids, prefixRole)
			g.roles = append(g.roles, &role{id: rid, typ: typ, label: label, assignmentType: "GROUP", created: g.created, via: g})
		}
		o.addGroup(g)
	}
}

func (o *org) addGroup(g *group) {
	o.groups = append(o.groups, g)
	o.groupByID[g.id] = g
}

// firstPartyApps are the Okta apps every org has, with the access policy
// name each one uses.
func firstPartyApps() []struct{ label, name, policy string } {
	return []struct{ label, name, policy string }{
		{"Okta Admin Console", "saasure", "Okta Admin Console"},
		{"Okta Dashboard", "okta_enduser", "Okta Dashboard"},
		{"Okta Browser Plugin", "okta_browser_plugin", "Default Policy"},
	}
}

func buildApps(o *org, c *providersim.Company, ids idMaker, byPerson []*user) map[string]*app {
	appByKey := make(map[string]*app, len(c.Apps))
	policyNamed := func(name string) *policy {
		for _, p := range o.policies {
			if p.typ == "ACCESS_POLICY" && p.name == name {
				return p
			}
		}
		return nil
	}
	for _, fp := range firstPartyApps() {
		seq, id := o.next(ids, prefixApp)
		a := &app{seq: seq, id: id, name: fp.name, label: fp.label, status: "ACTIVE", signOnMode: "OPENID_CONNECT",
			created: o.created, lastUpdated: o.created, firstParty: true, accessPolicy: policyNamed(fp.policy),
			domain: o.subdomain + ".okta.com"}
		a.signOnURL = "https://" + a.domain + "/"
		a.clientID = "okta." + uuid(int64(seq), 0x0a)
		o.addApp(a)
	}
	groupByIndex := make([]*group, len(c.Groups))
	copy(groupByIndex, o.groups[1:])
	for ai := range c.Apps {
		ca := &c.Apps[ai]
		seq, id := o.next(ids, prefixApp)
		a := &app{seq: seq, id: id, label: ca.Label, status: "ACTIVE", created: ca.Created, lastUpdated: ca.Created,
			domain: ca.Domain, signOnURL: ca.SignOnURL, clientID: ca.ClientID, accessPolicy: policyNamed("Default Policy")}
		if ai%31 == 30 {
			a.status = "INACTIVE"
		}
		switch ca.Key {
		case "aws", "github", "salesforce", "snowflake":
			a.accessPolicy = policyNamed("High Assurance Apps")
		}
		custom := o.subdomain + "_" + alnum(ca.Key) + "_1"
		switch ca.SignOn {
		case providersim.SignOnSAML:
			a.signOnMode, a.name = "SAML_2_0", alnum(ca.Key)
			if strings.HasPrefix(ca.Key, "vendor-") {
				a.name = custom
			}
		case providersim.SignOnOIDC:
			a.signOnMode, a.name = "OPENID_CONNECT", "oidc_client"
			if ai%3 == 0 {
				for _, sc := range []string{"okta.users.read", "okta.groups.read"} {
					_, gid := o.next(ids, prefixGrant)
					a.grants = append(a.grants, &scopeGrant{id: gid, scope: sc, source: "ADMIN", created: ca.Created})
				}
			}
		case providersim.SignOnPassword:
			a.signOnMode, a.name = "AUTO_LOGIN", custom
		default:
			a.signOnMode, a.name = "BOOKMARK", "bookmark"
		}
		for prio, gi := range ca.Groups {
			if g := groupByIndex[gi]; g != nil {
				a.groups = append(a.groups, &appGroup{g: g, priority: prio, lastUpdated: ca.Created})
				g.apps = append(g.apps, a)
			}
		}
		a.users = make([]*appUser, 0, len(ca.Users))
		for _, as := range ca.Users {
			u := byPerson[as.Person]
			if u == nil {
				continue
			}
			t := later(ca.Created, u.created).Add(time.Hour)
			au := &appUser{u: u, direct: as.Group < 0, created: t, lastUpdated: t, statusChanged: t}
			if !au.direct {
				au.via = 1
			}
			a.users = append(a.users, au)
			u.apps = append(u.apps, a)
		}
		o.addApp(a)
		appByKey[ca.Key] = a
	}
	return appByKey
}

func (o *org) addApp(a *app) {
	o.apps = append(o.apps, a)
	o.appByID[a.id] = a
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
