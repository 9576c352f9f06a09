package entrasim

import (
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// builtInRole is a built-in Entra role (its template id is its role definition id).
type builtInRole struct {
	id, name, desc string
}

// entraRole maps the company's neutral admin roles to built-in Entra roles.
func entraRole(r providersim.AdminRole) builtInRole {
	switch r {
	case providersim.SuperAdmin:
		return builtInRole{"62e90394-69f5-4237-9190-012177145e10", "Global Administrator", "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities."}
	case providersim.OrgAdmin:
		return builtInRole{"e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator", "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management."}
	case providersim.AppAdmin:
		return builtInRole{"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator", "Can create and manage all aspects of app registrations and enterprise apps."}
	case providersim.UserAdmin:
		return builtInRole{"fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator", "Can manage all aspects of users and groups, including resetting passwords for limited admins."}
	case providersim.HelpDeskAdmin:
		return builtInRole{"729827e3-9c14-49f7-bb1b-9608f156bbb8", "Helpdesk Administrator", "Can reset passwords for non-administrators and Helpdesk Administrators."}
	default:
		return builtInRole{"f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader", "Can read everything that a Global Administrator can, but not update anything."}
	}
}

// addRoles builds the role definitions (the built-in roles the company uses) and tenant-wide role assignments:
// people's direct admin roles and the admin groups' roles (role-assignable groups as principals).
func (a *appsDir) addRoles(c *providersim.Company, d *directory) {
	seen := map[string]bool{}
	def := func(r providersim.AdminRole) string {
		b := entraRole(r)
		if !seen[b.id] {
			seen[b.id] = true
			a.roleDefs = append(a.roleDefs, record{"id": b.id, "templateId": b.id, "displayName": b.name, "description": b.desc,
				"isBuiltIn": true, "isEnabled": true, "resourceScopes": []string{"/"}, "version": "1"})
		}
		return b.id
	}
	n := uint64(0)
	assign := func(principal, role string) {
		a.roleAssigns = append(a.roleAssigns, record{"id": guid(d.seed, kindRoleAssignment, n), "principalId": principal,
			"roleDefinitionId": role, "directoryScopeId": "/", "appScopeId": nil})
		n++
	}
	def(providersim.SuperAdmin)
	defer a.activateRoles(d)
	for i := range c.People {
		u := d.byPerson[i]
		if u == nil {
			continue
		}
		for _, r := range c.People[i].AdminRoles {
			assign(u.id, def(r))
		}
	}
	for gi := range c.Groups {
		for _, r := range c.Groups[gi].AdminRoles {
			assign(d.groups[gi].id, def(r))
		}
	}
}

// methodName maps the company's factors to Graph's authentication method names.
func methodName(f providersim.FactorType) string {
	switch f {
	case providersim.FactorPush:
		return "microsoftAuthenticatorPush"
	case providersim.FactorTOTP:
		return "softwareOneTimePasscode"
	case providersim.FactorWebAuthn:
		return "fido2"
	case providersim.FactorSignedNonce:
		return "windowsHelloForBusiness"
	case providersim.FactorSMS:
		return "mobilePhone"
	case providersim.FactorEmail:
		return "email"
	case providersim.FactorQuestion:
		return "securityQuestion"
	case providersim.FactorHardware:
		return "hardwareOneTimePasscode"
	}
	return string(f)
}

// addRegistration builds userRegistrationDetails for every user from the person's active factors.
func (a *appsDir) addRegistration(c *providersim.Company, d *directory) {
	for i := range c.People {
		u := d.byPerson[i]
		if u == nil {
			continue
		}
		p := &c.People[i]
		methods := []string{}
		mfa, passwordless := false, false
		var last time.Time
		for _, f := range p.Factors {
			if !f.Active {
				continue
			}
			m := methodName(f.Type)
			if !contains(methods, m) {
				methods = append(methods, m)
			}
			if f.Type != providersim.FactorEmail && f.Type != providersim.FactorQuestion {
				mfa = true
			}
			if f.Type == providersim.FactorWebAuthn || f.Type == providersim.FactorSignedNonce {
				passwordless = true
			}
			if f.Enrolled.After(last) {
				last = f.Enrolled
			}
		}
		userType := "member"
		if u.userType == "Guest" {
			userType = "guest"
		}
		var lastJSON, defMethod any
		if !last.IsZero() {
			lastJSON = timeJSON(last)
		}
		defMethod = "none"
		if mfa {
			defMethod = methods[0]
		}
		a.registered = append(a.registered, record{"id": u.id, "userPrincipalName": u.upn, "userDisplayName": u.displayName,
			"userType": userType, "isAdmin": p.IsAdmin(), "isMfaRegistered": mfa, "isMfaCapable": mfa && u.accountEnabled,
			"isPasswordlessCapable": passwordless, "isSsprRegistered": len(methods) > 0, "isSsprEnabled": true,
			"isSsprCapable": len(methods) > 0 && u.accountEnabled, "isSystemPreferredAuthenticationMethodEnabled": false,
			"methodsRegistered": methods, "defaultMfaMethod": defMethod, "lastUpdatedDateTime": lastJSON,
			"systemPreferredAuthenticationMethods": []string{}, "userPreferredMethodForSecondaryAuthentication": defMethod})
	}
}

// activateRoles builds /directoryRoles: one activated role (object id derived from the template) per role
// that has an assignment, its members being the assignments' principals.
func (a *appsDir) activateRoles(d *directory) {
	a.roleMembers = map[string][]string{}
	byTemplate := map[string]record{}
	for _, as := range a.roleAssigns {
		tmpl := as["roleDefinitionId"].(string)
		role := byTemplate[tmpl]
		if role == nil {
			def := findRecord(a.roleDefs, tmpl)
			role = record{"id": guid(d.seed, kindRoleAssignment, 1<<40+uint64(len(byTemplate))), "displayName": def["displayName"],
				"description": def["description"], "roleTemplateId": tmpl, "deletedDateTime": nil}
			byTemplate[tmpl] = role
			a.dirRoles = append(a.dirRoles, role)
		}
		id := role["id"].(string)
		a.roleMembers[id] = append(a.roleMembers[id], as["principalId"].(string))
	}
}
