package okta

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// OrgResourceID is the resource admin roles are granted on: the Okta org itself.
const OrgResourceID = "okta-org"

// rolesStep emits the org resource, then reads each admin role holder's roles (from the admin list loaded once
// per invocation) → grants on the org with the role type as permission. A role held through a group is a grant
// to the group, and a grant to the user with Via "group".
func (s *Source) rolesStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur listCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	admErr := s.loadAdmins(ctx)
	if admErr != nil && !rawhttp.Forbidden(admErr) {
		return sspm.StepResult{}, admErr
	}
	if cursor == "" {
		name, err := s.orgName(ctx)
		if err != nil {
			return sspm.StepResult{}, err
		}
		raw, _ := json.Marshal(map[string]string{"org_url": s.c.org.String()})
		res.Page.Resources = append(res.Page.Resources, sspm.Resource{
			ExternalID: OrgResourceID, Kind: "org", Name: name, URL: s.c.org.String(), Raw: raw,
		})
	}
	if admErr != nil {
		res.Unavailable = []sspm.Entity{sspm.EntityGrants}
		res.Message = "admin role holders unavailable (403): kept the stored grants"
		return res, nil
	}
	admins := s.mem.adminList
	st := s.stepper()
	i := locate(admins, cur.Index, cur.ID)
	for ; i < len(admins); i++ {
		if st.full(res.Page.Len()) {
			res.Next = encodeCursor(listCursor{Index: i, ID: admins[i]})
			return res, nil
		}
		grants, err := s.userRoleGrants(ctx, admins[i])
		st.requests++
		if rawhttp.StatusOf(err) == 404 { // the user was deleted
			continue
		}
		if rawhttp.Forbidden(err) { // every holder's roles are behind the same permission
			res.Unavailable = []sspm.Entity{sspm.EntityGrants}
			res.Message = "admin roles unavailable (403): kept the stored grants"
			return res, nil
		}
		if err != nil {
			return sspm.StepResult{}, err
		}
		res.Page.Grants = append(res.Page.Grants, grants...)
	}
	return res, nil
}

// orgName names the org resource as people know the org: its company name (GET /api/v1/org), else its subdomain
// ("acme" in acme.okta.com), else the host of its URL. A token without okta.orgs.read (403), or an org answering
// 401 or 404, falls back to the subdomain; any other failure fails the step (a rate limit waits as usual).
func (s *Source) orgName(ctx context.Context) (string, error) {
	body, _, err := s.c.call(ctx, "get org settings", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.OrgSettingAPI.GetOrgSettings(ctx).Execute()
		return resp, err
	})
	switch rawhttp.StatusOf(err) {
	case 0:
		if err != nil {
			return "", err
		}
	case 401, 403, 404:
		body = nil
	default:
		return "", err
	}
	var org struct {
		CompanyName string `json:"companyName"`
		Subdomain   string `json:"subdomain"`
	}
	_ = json.Unmarshal(body, &org) // a malformed body names the org by its URL
	switch {
	case strings.TrimSpace(org.CompanyName) != "":
		return strings.TrimSpace(org.CompanyName), nil
	case strings.TrimSpace(org.Subdomain) != "":
		return strings.TrimSpace(org.Subdomain), nil
	}
	return orgSubdomain(s.c.org.Hostname()), nil
}

// orgSubdomain is the org's label under an Okta domain (acme.okta.com, acme.oktapreview.com, acme.okta-emea.com,
// acme.okta-gov.com), else the host itself (a custom domain).
func orgSubdomain(host string) string {
	for _, d := range []string{".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com", ".okta.mil"} {
		if sub, ok := strings.CutSuffix(strings.ToLower(host), d); ok && sub != "" && !strings.Contains(sub, ".") {
			return sub
		}
	}
	return host
}

// userRoleGrants reads a user's admin roles (direct and through groups).
func (s *Source) userRoleGrants(ctx context.Context, userID string) ([]sspm.Grant, error) {
	p, err := s.c.list(ctx, "list user roles", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.RoleAssignmentAPI.ListAssignedRolesForUser(ctx, userID).Execute() // unpaged
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	var grants []sspm.Grant
	for _, item := range p.items {
		var r struct {
			Type           string `json:"type"`
			Label          string `json:"label"`
			Status         string `json:"status"`
			AssignmentType string `json:"assignmentType"`
			Links          struct {
				Assignee struct {
					Href string `json:"href"`
				} `json:"assignee"`
			} `json:"_links"`
		}
		if err := json.Unmarshal(item, &r); err != nil || r.Type == "" {
			return nil, sspm.Errorf(sspm.CodeUnavailable, "okta list user roles: a role without type")
		}
		if r.Status != "" && r.Status != "ACTIVE" {
			continue
		}
		perm := r.Type
		if r.Type == "CUSTOM" && r.Label != "" {
			perm = "CUSTOM:" + r.Label
		}
		g := sspm.Grant{PrincipalExternalID: userID, PrincipalKind: sspm.MemberAccount, ResourceExternalID: OrgResourceID, Permission: perm, Via: "direct"}
		if r.AssignmentType == "GROUP" {
			href := r.Links.Assignee.Href
			gid := href[strings.LastIndex(href, "/")+1:]
			if !strings.Contains(href, "/groups/") || gid == "" {
				return nil, sspm.Errorf(sspm.CodeUnavailable, "okta list user roles: a group role without its group")
			}
			grants = append(grants, sspm.Grant{PrincipalExternalID: gid, PrincipalKind: sspm.MemberGroup,
				ResourceExternalID: OrgResourceID, Permission: perm, Via: "direct"})
			g.Via, g.ViaExternalID = "group", gid
		}
		grants = append(grants, g)
	}
	return grants, nil
}
