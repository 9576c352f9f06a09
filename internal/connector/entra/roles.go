package entra

import (
	"context"
	"encoding/json"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Directory roles: each activated directory role is a resource "role:{id}" (its roleTemplateId names the built-in
// role: Global Administrator is 62e90394-69f5-4237-9190-012177145e10; raw admin_tier says super or privileged),
// and each member holds it as a grant; a member that left an activated role loses its grant at once (the page
// revokes the role's grants it does not list). Members are users, role-assignable groups and service principals;
// admins.go turns them into admin flags.

// superRoles are the templates of the roles whose holders control the tenant (providers.md §3.2): Global
// Administrator, Privileged Role Administrator and Privileged Authentication Administrator.
var superRoles = map[string]bool{
	"62e90394-69f5-4237-9190-012177145e10": true,
	"e8611ab8-c189-46e8-94e1-60213ab1f814": true,
	"7be44c8a-adaf-4e2a-84d6-ab2649e08a13": true,
}

// rolesStep reads the directory roles, their members and the admins in one step (a tenant has a few dozen
// activated roles). A 403 keeps the roles and their grants; the users and apps stages then keep the accounts.
func (s *Source) rolesStep(ctx context.Context, _ string) (sspm.StepResult, error) {
	s.mem.adminsKnown, s.mem.adminsErr = false, nil // read afresh in every run
	err := s.loadAdmins(ctx)
	if isForbidden(err) {
		return sspm.StepResult{Unavailable: []sspm.Entity{sspm.EntityResources, sspm.EntityGrants},
			Message: "directory roles not read: " + err.Error()}, nil
	}
	if err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	for _, r := range s.mem.roles {
		var role struct {
			DisplayName    string `json:"displayName"`
			RoleTemplateID string `json:"roleTemplateId"`
		}
		var m map[string]any
		if err := json.Unmarshal(r.raw, &role); err != nil || json.Unmarshal(r.raw, &m) != nil {
			return sspm.StepResult{}, &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list directory roles: malformed role"}
		}
		m["admin_tier"] = "privileged"
		if superRoles[role.RoleTemplateID] {
			m["admin_tier"] = "super"
		}
		raw, _ := json.Marshal(m)
		res.Page.Resources = append(res.Page.Resources, sspm.Resource{ExternalID: roleResource(r.id), Kind: "role", Name: role.DisplayName, Raw: raw})
		// The role's members are read whole every run: a member no longer listed has left the role, and its grant
		// expires at once, on a delta run too (whose sweep keeps grants).
		res.Page.RevokedGrants = append(res.Page.RevokedGrants, sspm.Grant{ResourceExternalID: roleResource(r.id)})
		for _, mem := range r.members {
			if id, k, ok := principal(mem.Type, mem.ID); ok {
				res.Page.Grants = append(res.Page.Grants, sspm.Grant{PrincipalExternalID: id, PrincipalKind: k,
					ResourceExternalID: roleResource(r.id), Permission: "member", Via: "direct"})
			}
		}
	}
	return res, nil
}
