package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

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
func (s *Source) rolesStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
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
	if err := s.adminChanges(ctx, cursor, &res); err != nil {
		return sspm.StepResult{}, err
	}
	return res, nil
}

// adminMark is the roles stage's watermark: the users whose stored account holds the admin flag as of the last
// run. Users read as admins now but not then (or the reverse) joined (left) a privileged role since; the users
// delta does not report a role change, so the stage re-reads them (at most maxRefresh a run, the rest the next
// run) and re-emits their accounts with the admin flag as it is now, on a delta run too. A user Graph no longer
// has is left to the users stage. Service principals' admin flags follow the apps stage.
type adminMark struct {
	Admins []string `json:"admins"`
}

func (s *Source) adminChanges(ctx context.Context, cursor string, res *sspm.StepResult) error {
	now := map[string]bool{}
	for id := range s.mem.admins {
		if !strings.HasPrefix(id, "sp:") {
			now[id] = true
		}
	}
	next := now
	var prev adminMark
	if cursor != "" && json.Unmarshal([]byte(cursor), &prev) == nil {
		// the first run (no watermark) has the users stage write every account with its flag
		was := map[string]bool{}
		for _, id := range prev.Admins {
			was[id] = true
		}
		var changed []string
		for id := range now {
			if !was[id] {
				changed = append(changed, id)
			}
		}
		for id := range was {
			if !now[id] {
				changed = append(changed, id)
			}
		}
		slices.Sort(changed)
		next = maps.Clone(was)
		for i, id := range changed {
			if i == maxRefresh {
				res.Message = joinMessages(res.Message, fmt.Sprintf("%d users' admin flags wait for the next run", len(changed)-i))
				break
			}
			a, found, err := s.readUser(ctx, id)
			if isForbidden(err) { // the users stage says why; the flags wait for a run that can read them
				res.Message = joinMessages(res.Message, "users' admin flags not re-read: "+err.Error())
				break
			}
			if err != nil {
				return err
			}
			if found {
				res.Page.Accounts = append(res.Page.Accounts, a)
			}
			if now[id] {
				next[id] = true
			} else {
				delete(next, id)
			}
		}
	}
	mark := adminMark{Admins: slices.Sorted(maps.Keys(next))}
	if mark.Admins == nil {
		mark.Admins = []string{}
	}
	b, _ := json.Marshal(mark)
	res.Watermark = string(b)
	return nil
}
