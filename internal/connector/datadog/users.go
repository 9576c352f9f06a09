package datadog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// userAttributes are the user fields the connector keeps (GET /api/v2/users).
type userAttributes struct {
	Email          *string    `json:"email"`
	Handle         string     `json:"handle"`
	Name           *string    `json:"name"`
	Title          *string    `json:"title"`
	Status         string     `json:"status"`
	Disabled       bool       `json:"disabled"`
	Verified       bool       `json:"verified"`
	ServiceAccount bool       `json:"service_account"`
	MFAEnabled     *bool      `json:"mfa_enabled"`
	LastLoginTime  *time.Time `json:"last_login_time"`
	CreatedAt      *time.Time `json:"created_at"`
	ModifiedAt     *time.Time `json:"modified_at"`
}

// usersStep reads one page of users (service accounts are users with service_account = true): each is an
// account, a member of its roles, and granted each role's name on the organization through the role. An account
// is an admin when one of its roles has an admin grade. A 403 on the users (the roles were readable) marks the
// accounts, role memberships and users' grants unavailable: their stored rows are kept.
func (s *Source) usersStep(ctx context.Context, cur pageCursor) (sspm.StepResult, error) {
	if cur.Page < 0 {
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "datadog: malformed users cursor")
	}
	if err := s.ensureRoles(ctx); err != nil {
		return sspm.StepResult{}, err
	}
	body, _, err := s.c.call(ctx, "list users", PermUserAccessRead, func(ctx context.Context) (*http.Response, error) {
		_, resp, err := s.c.users.ListUsers(ctx, *datadogV2.NewListUsersOptionalParameters().
			WithPageSize(int64(s.pageSize)).WithPageNumber(int64(cur.Page)))
		return resp, err
	})
	if rawhttp.Forbidden(err) { // the roles were readable with the same permission: hide only what the users feed
		return sspm.StepResult{
			Unavailable: []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroupMembers,
				sspm.ScopedEntity(sspm.EntityGrants, map[string]string{"principal_kind": string(sspm.MemberAccount)})},
			Message: "list users: 403, the application key lacks " + PermUserAccessRead + ": kept the stored accounts, role memberships and users' grants",
		}, nil
	}
	if err != nil {
		return sspm.StepResult{}, err
	}
	l, err := decodeListing("list users", body)
	if err != nil {
		return sspm.StepResult{}, err
	}
	included := map[string]string{} // role id → name, from the answer's included roles
	for _, inc := range l.Included {
		var a struct {
			Name string `json:"name"`
		}
		if inc.Type == "roles" && json.Unmarshal(inc.Attributes, &a) == nil && a.Name != "" {
			included[inc.ID] = a.Name
		}
	}
	var res sspm.StepResult
	seen := map[string]bool{} // a listing that shifted between pages can repeat a user
	for _, u := range l.Data {
		if seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		var a userAttributes
		if err := json.Unmarshal(u.Attributes, &a); err != nil {
			return sspm.StepResult{}, sspm.Errorf(sspm.CodeUnavailable, "datadog list users: user %s: malformed attributes", u.ID)
		}
		roleIDs := u.relIDs("roles")
		var grades, names []string
		for _, rid := range roleIDs {
			name, grade := "", ""
			if info, ok := s.roles.byID[rid]; ok {
				name, grade = info.Name, info.Grade
			} else if n, ok := included[rid]; ok { // a role created since the roles were read
				name, grade = n, AdminGrade(n, nil)
			} else {
				name = rid
			}
			names = append(names, name)
			if grade != "" {
				grades = append(grades, grade)
			}
			res.Page.GroupMembers = append(res.Page.GroupMembers, sspm.GroupMember{GroupExternalID: rid,
				MemberExternalID: u.ID, MemberKind: sspm.MemberAccount, Role: "member"})
			res.Page.Grants = append(res.Page.Grants, sspm.Grant{PrincipalExternalID: u.ID, PrincipalKind: sspm.MemberAccount,
				ResourceExternalID: OrgResourceID, Permission: name, Via: "group", ViaExternalID: rid})
		}
		acct, err := account(u.ID, a, names, grades)
		if err != nil {
			return sspm.StepResult{}, err
		}
		res.Page.Accounts = append(res.Page.Accounts, acct)
	}
	if s.more(l, cur.Page) {
		res.Next = encodeCursor(pageCursor{Page: cur.Page + 1})
	}
	return res, nil
}

// account maps a user: email from email, else an email-shaped handle; Status active, pending (invited, not yet
// verified) or suspended (disabled); MFA as Datadog reports it (SSO-only users may show false while their
// identity provider enforces MFA: the raw value is kept); kind service_account for service accounts.
func account(id string, a userAttributes, roles, grades []string) (sspm.Account, error) {
	email := ""
	if a.Email != nil {
		email = strings.TrimSpace(*a.Email)
	}
	if email == "" && strings.Contains(a.Handle, "@") {
		email = strings.TrimSpace(a.Handle)
	}
	status := "active"
	switch {
	case a.Disabled || strings.EqualFold(a.Status, "Disabled"):
		status = "suspended"
	case strings.EqualFold(a.Status, "Pending"):
		status = "pending"
	case strings.EqualFold(a.Status, "Active"):
	default:
		status = strings.ToLower(a.Status)
	}
	kind := sspm.AccountUser
	if a.ServiceAccount {
		kind = sspm.AccountServiceAccount
	}
	grade := ""
	for _, g := range grades {
		if g == GradeSuper || grade == "" {
			grade = g
		}
	}
	if roles == nil {
		roles = []string{}
	}
	name := a.Handle
	if a.Name != nil && strings.TrimSpace(*a.Name) != "" {
		name = strings.TrimSpace(*a.Name)
	}
	raw, err := json.Marshal(map[string]any{
		"id": id, "handle": a.Handle, "email": a.Email, "name": a.Name, "title": a.Title, "status": a.Status,
		"disabled": a.Disabled, "verified": a.Verified, "service_account": a.ServiceAccount, "mfa_enabled": a.MFAEnabled,
		"last_login_time": a.LastLoginTime, "created_at": a.CreatedAt, "modified_at": a.ModifiedAt,
		"roles": roles, "admin_tier": tierOf(grade),
	})
	if err != nil {
		return sspm.Account{}, fmt.Errorf("datadog: encode user: %w", err)
	}
	acct := sspm.Account{ExternalID: id, Kind: kind, Email: email, Username: a.Handle, DisplayName: name,
		Status: status, Active: status == "active", MFAEnrolled: a.MFAEnabled, IsAdmin: grade != "", Raw: raw}
	if a.LastLoginTime != nil {
		acct.LastLoginAt = a.LastLoginTime.UTC()
	}
	return acct, nil
}

// tierOf names an admin grade as the normalized accounts' admin_tier: super, privileged or none.
func tierOf(grade string) string {
	if grade == "" {
		return "none"
	}
	return grade
}
