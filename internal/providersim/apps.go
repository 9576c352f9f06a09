package providersim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// SignOn is how an app signs people in.
type SignOn string

// Sign-on protocols.
const (
	SignOnSAML     SignOn = "saml"
	SignOnOIDC     SignOn = "oidc"
	SignOnPassword SignOn = "password" // credentials stored by the IdP (SWA)
	SignOnBookmark SignOn = "bookmark" // a link only
)

// App is an app managed in the identity provider.
type App struct {
	// Index is the position in Company.Apps.
	Index int
	// ID is the neutral, stable id ("app-0042").
	ID string
	// Key is a short machine name ("slack", "vendor-0123").
	Key string
	// Name is the vendor's product name; Label is what the IdP shows.
	Name   string
	Label  string
	Domain string
	// SignOnURL is where a sign-in starts (ACS URL, login URL or bookmark).
	SignOnURL string
	SignOn    SignOn
	// ClientID is the OAuth client id of OIDC apps.
	ClientID string
	Created  time.Time
	// Users are the people assigned, directly or through one of Groups, in
	// ascending Person order.
	Users []Assignment
	// Groups are the indexes of groups assigned to the app.
	Groups []int
}

// Assignment is one person assigned to an app.
type Assignment struct {
	Person int
	// Group is the index of the group the assignment comes from, or -1 when direct.
	Group int
}

// SaaSApp is an app people use without the IdP (shadow IT).
type SaaSApp struct {
	Key    string
	Name   string
	Domain string
}

// genApps builds the IdP's apps: well-known SaaS first, then synthetic vendor
// apps. Assignment counts are skewed (a few apps for almost everyone, many
// small ones) and average AssignmentsPerApp. App-access groups are assigned to
// their app and every member becomes a group-scoped assignment (as in an IdP,
// where a group assignment covers all its members); direct assignments fill
// up to the app's drawn size.
func genApps(cfg CompanyConfig, people []Person, groups []Group) []App {
	r := newRNG(cfg.Seed, 3)
	catalog := appCatalog()
	apps := make([]App, cfg.Apps)
	for i := range apps {
		a := &apps[i]
		a.Index = i
		a.ID = fmt.Sprintf("app-%04d", i)
		if i < len(catalog) {
			c := catalog[i]
			a.Key, a.Name, a.Domain, a.SignOn = c.key, c.name, c.domain, c.signOn
		} else {
			a.Key = fmt.Sprintf("vendor-%04d", i)
			a.Name = fmt.Sprintf("Vendor %04d", i)
			a.Domain = fmt.Sprintf("vendor%04d.saas.example", i)
			a.SignOn = pick(r, []SignOn{SignOnSAML, SignOnSAML, SignOnOIDC, SignOnPassword, SignOnBookmark})
		}
		if a.Domain == "" {
			a.Domain = "wiki." + cfg.Domain
		}
		a.Label = a.Name
		if r.chance(0.1) {
			a.Label = a.Name + " (" + pick(r, []string{"Prod", "Sandbox", "EU", "Legacy"}) + ")"
		}
		a.SignOnURL = signOnURL(a, cfg.Domain)
		if a.SignOn == SignOnOIDC {
			a.ClientID = fmt.Sprintf("client-%s-%04d", strings.ReplaceAll(a.Key, "-", ""), i)
		}
		a.Created = cfg.Now.Add(-companyAge + time.Duration(float64(companyAge)*0.95*float64(i)/float64(cfg.Apps)))
	}
	assignApps(cfg, apps, people, groups, r)
	return apps
}

// signOnURL returns the URL an app's sign-in starts from.
func signOnURL(a *App, companyDomain string) string {
	tenant := strings.SplitN(companyDomain, ".", 2)[0]
	switch a.SignOn {
	case SignOnSAML:
		return "https://" + tenant + "." + a.Domain + "/saml/acs"
	case SignOnOIDC:
		return "https://" + tenant + "." + a.Domain + "/oauth2/callback"
	case SignOnPassword:
		return "https://" + a.Domain + "/login"
	}
	return "https://" + a.Domain + "/"
}

func assignApps(cfg CompanyConfig, apps []App, people []Person, groups []Group, r *rng) {
	var eligible []int
	for i := range people {
		if current(&people[i]) && people[i].Kind != Service {
			eligible = append(eligible, i)
		}
	}
	if len(eligible) == 0 {
		return
	}
	taken := make([]int32, len(people)) // taken[p] == app index+1 when assigned
	weights := make([]float64, len(apps))
	sum := 0.0
	for i := range weights {
		weights[i] = r.exp()
		sum += weights[i]
	}
	pairAccessGroups(apps, groups, weights)
	for ai := range apps {
		a := &apps[ai]
		size := min(len(eligible), int(float64(cfg.AssignmentsPerApp*len(apps))*weights[ai]/sum+0.5))
		stamp := int32(ai + 1)
		for _, gi := range a.Groups {
			for _, p := range groups[gi].Members {
				if taken[p] != stamp {
					taken[p] = stamp
					a.Users = append(a.Users, Assignment{Person: p, Group: gi})
				}
			}
		}
		for tries := 0; len(a.Users) < size && tries < 4*size+8; tries++ {
			p := pick(r, eligible)
			if taken[p] != stamp {
				taken[p] = stamp
				a.Users = append(a.Users, Assignment{Person: p, Group: -1})
			}
		}
		sort.Slice(a.Users, func(i, j int) bool { return a.Users[i].Person < a.Users[j].Person })
	}
}

// pairAccessGroups assigns the largest app-access group to the app with the
// most assignments, the next to the next, and so on, so that group-scoped
// assignments rarely exceed an app's drawn size; it names each group after
// its app.
func pairAccessGroups(apps []App, groups []Group, weights []float64) {
	var access []int
	for gi := range groups {
		if groups[gi].Kind == GroupAppAccess {
			access = append(access, gi)
		}
	}
	sort.SliceStable(access, func(i, j int) bool {
		return len(groups[access[i]].Members) > len(groups[access[j]].Members)
	})
	order := make([]int, len(apps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return weights[order[i]] > weights[order[j]] })
	for k, gi := range access {
		if k >= len(order) {
			break
		}
		a := &apps[order[k]]
		groups[gi].App = a.Index
		groups[gi].Name = "app-" + a.Key + "-users"
		groups[gi].Description = "Members are assigned " + a.Name
		a.Groups = append(a.Groups, gi)
	}
}

// genShadowApps returns the SaaS apps people use outside the IdP: catalog
// apps first, then synthetic ones.
func genShadowApps(cfg CompanyConfig) []SaaSApp {
	catalog := shadowCatalog()
	out := make([]SaaSApp, cfg.ShadowApps)
	for i := range out {
		if i < len(catalog) {
			out[i] = SaaSApp{Key: catalog[i].key, Name: catalog[i].name, Domain: catalog[i].domain}
			continue
		}
		out[i] = SaaSApp{Key: fmt.Sprintf("shadow-%03d", i), Name: fmt.Sprintf("Shadow Tool %03d", i), Domain: fmt.Sprintf("tool%03d.shadow.example", i)}
	}
	return out
}
