package entrasim

import (
	"sort"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// Well-known ids.
const (
	graphAppID = "00000003-0000-0000-c000-000000000000"
	// microsoftTenant owns first-party apps such as Microsoft Graph.
	microsoftTenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	// defaultAccessRole is the appRoleId of an assignment to an app that defines no roles.
	defaultAccessRole = "00000000-0000-0000-0000-000000000000"
	// userReadAllRole is Microsoft Graph's User.Read.All application permission.
	userReadAllRole = "df021288-bdef-4463-88db-98f22de89214"
)

// More GUID kinds.
const (
	kindApp uint64 = iota + 100
	kindSP
	kindCredential
	kindAssignment
	kindGrant
	kindRoleAssignment
	kindShadowSP
	kindPublisher
)

// record is a directory object held as its JSON properties (id first among them).
type record map[string]any

func (r record) get(p string) any { return r[p] }

// appsDir holds the app registrations, service principals and everything hanging off them.
type appsDir struct {
	apps, sps   []record
	owners      map[string][]string // application or service principal id → owner user ids
	assignedTo  map[string][]record // service principal id → appRoleAssignments granted on it
	grants      []record            // oauth2PermissionGrants
	roleDefs    []record
	roleAssigns []record
	dirRoles    []record            // activated directory roles
	roleMembers map[string][]string // directory role id → member ids
	registered  []record            // userRegistrationDetails
	shadow      map[string]record   // shadow app key → its third-party service principal
	seq         map[string]uint64   // application or service principal id → its last change (delta)
	deleted     map[string]bool     // deleted service principals (tombstones: delta reports them as @removed)
}

// buildApps turns the company's IdP apps into app registrations with their enterprise applications (service
// principals): OIDC apps carry a client secret (every fifth one expired) and SAML apps a signing certificate on
// the service principal; three apps in four have an owner from the company's app admins; the company's app
// assignments are appRoleAssignedTo on the service principal (direct users, and assigned groups). OIDC apps
// hold Microsoft Graph's User.Read.All application permission (appRoleAssignedTo on the Graph service
// principal). Shadow apps people consented to through Entra are third-party service principals with
// oauth2PermissionGrants to Microsoft Graph.
func buildApps(c *providersim.Company, d *directory, tenantID string) *appsDir {
	seed := d.seed
	a := &appsDir{owners: map[string][]string{}, assignedTo: map[string][]record{}, shadow: map[string]record{}, seq: map[string]uint64{}, deleted: map[string]bool{}}
	graphSP := record{"id": guid(seed, kindSP, 1<<20), "appId": graphAppID, "displayName": "Microsoft Graph",
		"appOwnerOrganizationId": microsoftTenant, "publisherName": "Microsoft Services", "servicePrincipalType": "Application",
		"accountEnabled": true, "appRoleAssignmentRequired": false, "tags": []string{}, "replyUrls": []string{},
		"homepage": nil, "passwordCredentials": []any{}, "keyCredentials": []any{}, "preferredSingleSignOnMode": nil,
		"verifiedPublisher": map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
		"createdDateTime":   timeJSON(c.Now.Add(-6 * 365 * 24 * time.Hour))}
	a.sps = append(a.sps, graphSP)
	var owners []string
	for i := range c.People {
		p := &c.People[i]
		for _, r := range p.AdminRoles {
			if r == providersim.AppAdmin || r == providersim.SuperAdmin {
				if u := d.byPerson[i]; u != nil {
					owners = append(owners, u.id)
				}
			}
		}
	}
	cred := uint64(0)
	for i := range c.Apps {
		ca := &c.Apps[i]
		appID := guid(seed, kindApp, uint64(i)+1<<32)
		app := record{"id": guid(seed, kindApp, uint64(i)), "appId": appID, "displayName": ca.Label,
			"publisherDomain": c.Domain, "signInAudience": "AzureADMyOrg", "createdDateTime": timeJSON(ca.Created),
			"web":                 map[string]any{"redirectUris": []string{ca.SignOnURL}, "homePageUrl": "https://" + ca.Domain + "/"},
			"passwordCredentials": []any{}, "keyCredentials": []any{}, "requiredResourceAccess": []any{},
			"verifiedPublisher":      map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
			"spa":                    map[string]any{"redirectUris": []string{}},
			"identifierUris":         []string{},
			"description":            nil,
			"notes":                  nil,
			"isFallbackPublicClient": nil,
		}
		sp := record{"id": guid(seed, kindSP, uint64(i)), "appId": appID, "displayName": ca.Label,
			"appOwnerOrganizationId": tenantID, "publisherName": c.Name, "servicePrincipalType": "Application",
			"accountEnabled": true, "appRoleAssignmentRequired": len(ca.Users) > 0, "homepage": "https://" + ca.Domain + "/",
			"replyUrls": []string{ca.SignOnURL}, "tags": []string{"WindowsAzureActiveDirectoryIntegratedApp"},
			"passwordCredentials": []any{}, "keyCredentials": []any{}, "createdDateTime": timeJSON(ca.Created),
			"verifiedPublisher":         map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
			"preferredSingleSignOnMode": nil}
		start := ca.Created
		switch ca.SignOn {
		case providersim.SignOnOIDC:
			end := start.AddDate(2, 0, 0)
			for end.Before(c.Now) && i%5 != 0 {
				end = end.AddDate(2, 0, 0)
			}
			if i%5 == 0 {
				end = c.Now.AddDate(0, 0, -10) // an expired secret
			}
			cred++
			app["passwordCredentials"] = []any{map[string]any{"keyId": guid(seed, kindCredential, cred), "displayName": "client secret",
				"hint": strings.ToLower(ca.Key[:min(3, len(ca.Key))]), "startDateTime": timeJSON(start), "endDateTime": timeJSON(end),
				"customKeyIdentifier": nil, "secretText": nil}}
			app["requiredResourceAccess"] = []any{map[string]any{"resourceAppId": graphAppID,
				"resourceAccess": []any{map[string]any{"id": userReadAllRole, "type": "Role"}}}}
			a.assignedTo[graphSP["id"].(string)] = append(a.assignedTo[graphSP["id"].(string)], record{
				"id": guid(seed, kindAssignment, 1<<40+uint64(i)), "appRoleId": userReadAllRole, "createdDateTime": timeJSON(start),
				"principalDisplayName": ca.Label, "principalId": sp["id"], "principalType": "ServicePrincipal",
				"resourceDisplayName": "Microsoft Graph", "resourceId": graphSP["id"], "deletedDateTime": nil})
		case providersim.SignOnSAML:
			cred++
			end := c.Now.AddDate(1, 0, 0)
			if i%7 == 0 {
				end = c.Now.AddDate(0, 0, 20) // expiring soon
			}
			sp["preferredSingleSignOnMode"] = "saml"
			sp["keyCredentials"] = []any{map[string]any{"keyId": guid(seed, kindCredential, cred), "displayName": "CN=Microsoft Azure Federated SSO Certificate",
				"type": "AsymmetricX509Cert", "usage": "Verify", "startDateTime": timeJSON(start), "endDateTime": timeJSON(end),
				"customKeyIdentifier": nil, "key": nil}}
		case providersim.SignOnPassword:
			sp["preferredSingleSignOnMode"] = "password"
		}
		if len(owners) > 0 && i%4 != 3 {
			o := owners[i%len(owners)]
			a.owners[app["id"].(string)] = []string{o}
			a.owners[sp["id"].(string)] = []string{o}
		}
		spID := sp["id"].(string)
		for k, as := range ca.Users {
			if as.Group >= 0 {
				continue
			}
			u := d.byPerson[as.Person]
			if u == nil {
				continue
			}
			a.assignedTo[spID] = append(a.assignedTo[spID], record{"id": guid(seed, kindAssignment, uint64(i)<<20+uint64(k)),
				"appRoleId": defaultAccessRole, "createdDateTime": timeJSON(ca.Created), "principalDisplayName": u.displayName,
				"principalId": u.id, "principalType": "User", "resourceDisplayName": ca.Label, "resourceId": spID, "deletedDateTime": nil})
		}
		for k, gi := range ca.Groups {
			g := d.groups[gi]
			a.assignedTo[spID] = append(a.assignedTo[spID], record{"id": guid(seed, kindAssignment, uint64(i)<<20+1<<19+uint64(k)),
				"appRoleId": defaultAccessRole, "createdDateTime": timeJSON(ca.Created), "principalDisplayName": g.displayName,
				"principalId": g.id, "principalType": "Group", "resourceDisplayName": ca.Label, "resourceId": spID, "deletedDateTime": nil})
		}
		a.apps = append(a.apps, app)
		a.sps = append(a.sps, sp)
	}
	a.addShadowGrants(c, d, graphSP)
	a.addRoles(c, d)
	a.addRegistration(c, d)
	return a
}

// addShadowGrants makes a third-party service principal for each shadow app someone consented to through
// Entra, and one oauth2PermissionGrant per (app, person) with the union of the consented scopes.
func (a *appsDir) addShadowGrants(c *providersim.Company, d *directory, graphSP record) {
	type key struct{ app, person string }
	scopes := map[key][]string{}
	var order []key
	for _, g := range c.OAuthGrants {
		if g.Provider != providersim.Entra || g.Managed {
			continue
		}
		u := d.byPerson[g.Person]
		if u == nil {
			continue
		}
		sp := a.shadowSP(c, d, g.App, g.At)
		k := key{sp["id"].(string), u.id}
		if _, ok := scopes[k]; !ok {
			order = append(order, k)
		}
		for _, s := range g.Scopes {
			if !contains(scopes[k], s) {
				scopes[k] = append(scopes[k], s)
			}
		}
	}
	for n, k := range order {
		ss := append([]string(nil), scopes[k]...)
		sort.Strings(ss)
		a.grants = append(a.grants, record{"id": guid(d.seed, kindGrant, uint64(n)), "clientId": k.app, "consentType": "Principal",
			"principalId": k.person, "resourceId": graphSP["id"], "scope": strings.Join(ss, " ")})
	}
}
