package okta

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Page sizes: the largest each listing serves.
const (
	usersPageSize     = 200
	groupsPageSize    = 10000
	membersPageSize   = 1000
	appsPageSize      = 200
	appUsersPageSize  = 500
	appGroupsPageSize = 200
	assigneesPageSize = 100
	logPageSize       = 1000
)

// Users listings: Okta's default listing leaves out deprovisioned users, so they are listed separately.
const (
	usersAll           = 0
	usersDeprovisioned = 1
	deprovisionedQuery = `status eq "DEPROVISIONED"`
)

// usersStep reads users pages → accounts. The admin users are loaded first, once per invocation.
func (s *Source) usersStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur listCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	if err := s.loadAdmins(ctx); rawhttp.Forbidden(err) {
		// Without the admin role holders an account's admin flag is unknown: writing the accounts would clear
		// it. The accounts (and the role grants) keep their stored rows.
		res.Unavailable = []sspm.Entity{sspm.EntityAccounts, sspm.EntityGrants}
		res.Message = "admin role holders unavailable (403): kept the stored accounts and grants"
		return res, nil
	} else if err != nil {
		return sspm.StepResult{}, err
	}
	st := s.stepper()
	for {
		p, err := s.listUsers(ctx, cur.List, cur.Page)
		if rawhttp.Forbidden(err) {
			res.Unavailable = []sspm.Entity{sspm.EntityAccounts}
			res.Message = "users unavailable (403): kept the stored accounts"
			return res, nil
		}
		if err != nil {
			return sspm.StepResult{}, err
		}
		st.requests++
		var worth []string
		for _, item := range p.items {
			a, err := s.mapUser(item)
			if err != nil {
				return sspm.StepResult{}, wrapf("list users", err)
			}
			res.Page.Accounts = append(res.Page.Accounts, a)
			if a.Active {
				worth = append(worth, a.ExternalID)
			}
		}
		if cur.List == usersAll {
			s.mem.keepUserPage(cur.Page, userPage{ids: worth, next: p.next})
		}
		switch {
		case p.next != "":
			cur.Page = p.next
		case cur.List == usersAll:
			cur = listCursor{List: usersDeprovisioned}
		default:
			return res, nil
		}
		if st.full(len(res.Page.Accounts)) {
			res.Next = encodeCursor(cur)
			return res, nil
		}
	}
}

func (s *Source) listUsers(ctx context.Context, list int, after string) (rawPage, error) {
	return s.c.list(ctx, "list users", func(ctx context.Context) (*okta.APIResponse, error) {
		r := s.c.api.UserAPI.ListUsers(ctx).Limit(usersPageSize)
		if list == usersDeprovisioned {
			r = r.Search(deprovisionedQuery)
		}
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
}

// loadAdmins reads the users holding an admin role, once per invocation.
func (s *Source) loadAdmins(ctx context.Context) error {
	if s.mem.admins != nil {
		return nil
	}
	admins := map[string]bool{}
	var list []string
	after := ""
	for {
		body, h, err := s.c.call(ctx, "list admin role holders", func(ctx context.Context) (*okta.APIResponse, error) {
			r := s.c.api.RoleAssignmentAPI.ListUsersWithRoleAssignments(ctx).Limit(assigneesPageSize)
			if after != "" {
				r = r.After(after)
			}
			_, resp, err := r.Execute()
			return resp, err
		})
		if err != nil {
			return err
		}
		var page struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
			Links struct {
				Next struct {
					Href string `json:"href"`
				} `json:"next"`
			} `json:"_links"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return sspm.Errorf(sspm.CodeUnavailable, "okta list admin role holders: malformed page")
		}
		for _, v := range page.Value {
			if v.ID == "" {
				return sspm.Errorf(sspm.CodeUnavailable, "okta list admin role holders: an entry without id")
			}
			if !admins[v.ID] {
				admins[v.ID] = true
				list = append(list, v.ID)
			}
		}
		// Okta documents this listing's next link in the body (_links.next); follow the Link header too.
		next, err := nextAfterIn(page.Links.Next.Href, h)
		if err != nil {
			return sspm.Errorf(sspm.CodeUnavailable, "okta list admin role holders: %v", err)
		}
		if next == "" {
			break
		}
		if next == after {
			return sspm.Errorf(sspm.CodeUnavailable, "okta list admin role holders: the next link repeats the page")
		}
		after = next
	}
	s.mem.admins, s.mem.adminList = admins, list
	return nil
}

// mapUser turns an Okta user into an account. The raw JSON is kept as Okta sent it.
func (s *Source) mapUser(item []byte) (sspm.Account, error) {
	f, err := fields(item, "id", "status", "lastLogin", "profile")
	if err != nil {
		return sspm.Account{}, err
	}
	id := str(f[0])
	if id == "" {
		return sspm.Account{}, fmt.Errorf("a user without id")
	}
	p, err := fields(orEmptyObject(f[3]), "login", "email", "displayName", "firstName", "lastName", "userType", "title")
	if err != nil {
		return sspm.Account{}, err
	}
	login, email, display := str(p[0]), str(p[1]), str(p[2])
	if display == "" {
		display = strings.TrimSpace(str(p[3]) + " " + str(p[4]))
	}
	status := str(f[1])
	a := sspm.Account{
		ExternalID: id, Kind: accountKind(str(p[5]), str(p[6])), Email: emailOf(email, login), Username: login,
		DisplayName: display, Status: status, Active: activeStatus(status), IsAdmin: s.mem.admins[id], Raw: item,
	}
	if t, err := time.Parse(time.RFC3339, str(f[2])); err == nil {
		a.LastLoginAt = t
	}
	return a, nil
}

func orEmptyObject(b []byte) []byte {
	if len(b) == 0 || b[0] != '{' {
		return []byte("{}")
	}
	return b
}

// activeStatus reports whether an Okta status lets the user sign in.
func activeStatus(status string) bool {
	switch status {
	case "ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY":
		return true
	}
	return false
}

// accountKind classifies service and bot accounts by the profile's userType (or a "Service Account" title), the
// convention the company directory and the simulator use.
func accountKind(userType, title string) sspm.AccountKind {
	switch strings.ToLower(strings.TrimSpace(userType)) {
	case "service", "service account", "service_account", "serviceaccount", "system", "bot", "automation":
		return sspm.AccountServiceAccount
	}
	if strings.EqualFold(strings.TrimSpace(title), "service account") {
		return sspm.AccountServiceAccount
	}
	return sspm.AccountUser
}

// emailOf returns profile.email if it is email-shaped, else the login if it is, else "".
func emailOf(email, login string) string {
	for _, e := range []string{email, login} {
		e = strings.TrimSpace(e)
		local, domain, ok := strings.Cut(e, "@")
		if ok && local != "" && domain != "" && !strings.ContainsAny(e, " \t") && !strings.Contains(domain, "@") {
			return e
		}
	}
	return ""
}

// nextAfterIn returns the `after` parameter of a listing's next page, from the next link in its body (href, ""
// when it has none) or else from its rel="next" Link header: "" when the answer carries neither.
func nextAfterIn(href string, h http.Header) (string, error) {
	if href == "" {
		return nextAfter(h)
	}
	return afterOf(href)
}
