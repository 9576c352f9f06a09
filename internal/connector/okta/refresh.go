package okta

import (
	"context"
	"strings"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Push-assisted sync: what user lifecycle, group membership, app assignment and factor events touched is read
// again at once, outside any run. Targets name Okta objects by type: User → the account (with its admin flag
// from its roles, its admin role grants and its factors); UserGroup → the group and its members; AppInstance →
// the app and its group and user assignments. Other target types are ignored. Objects that no longer exist are
// skipped: expiring them is the next full run's job.

// refreshLimit caps the objects one call reads; the next full run catches up with the rest.
const refreshLimit = 100

// refreshTypes are the event types whose targets are worth a refresh (see RefreshEvents).
var refreshTypes = []string{
	"user.lifecycle.", "user.account.update_profile", "user.account.privilege.", "user.mfa.factor.",
	"group.user_membership.", "group.lifecycle.", "group.privilege.",
	"application.user_membership.", "group.application_assignment.", "application.lifecycle.",
}

// RefreshEvents refreshes the targets of the events whose type can change inventory, so that sign-ins (the bulk
// of the System Log) cost no reads.
func (s *Source) RefreshEvents(ctx context.Context, events []sspm.Event) (sspm.Page, error) {
	var targets []sspm.EventTarget
	for _, e := range events {
		for _, t := range refreshTypes {
			if e.Type == t || (strings.HasSuffix(t, ".") && strings.HasPrefix(e.Type, t)) {
				targets = append(targets, e.Targets...)
				break
			}
		}
	}
	return s.Refresh(ctx, targets)
}

// Refresh re-reads the users, groups and apps the targets name.
func (s *Source) Refresh(ctx context.Context, targets []sspm.EventTarget) (sspm.Page, error) {
	s.ahead.Settle()
	seen := map[string]bool{}
	var users, groups, apps []string
	for _, t := range targets {
		key := t.Type + "/" + t.ExternalID
		if t.ExternalID == "" || seen[key] || len(seen) >= refreshLimit {
			continue
		}
		switch t.Type {
		case "User":
			users = append(users, t.ExternalID)
		case "UserGroup":
			groups = append(groups, t.ExternalID)
		case "AppInstance":
			apps = append(apps, t.ExternalID)
		default:
			continue
		}
		seen[key] = true
	}
	var page sspm.Page
	for _, id := range users {
		if err := s.refreshUser(ctx, id, &page); err != nil {
			return sspm.Page{}, err
		}
	}
	for _, id := range groups {
		if err := s.refreshGroup(ctx, id, &page); err != nil {
			return sspm.Page{}, err
		}
	}
	for _, id := range apps {
		if err := s.refreshApp(ctx, id, &page); err != nil {
			return sspm.Page{}, err
		}
	}
	return page, nil
}

// refreshUser reads a user, its roles (the admin flag and role grants) and its factors. Without permission to
// read roles the account is not written, so its stored admin flag stays.
func (s *Source) refreshUser(ctx context.Context, id string, page *sspm.Page) error {
	body, found, err := s.getOne(ctx, "get user", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.UserAPI.GetUser(ctx, id).Execute()
		return resp, err
	})
	if !found || err != nil {
		return err
	}
	a, err := s.mapUser(body)
	if err != nil {
		return wrapf("get user", err)
	}
	grants, err := s.userRoleGrants(ctx, id)
	switch {
	case rawhttp.StatusOf(err) == 403:
	case rawhttp.StatusOf(err) == 404:
		return nil
	case err != nil:
		return err
	default:
		a.IsAdmin = len(grants) > 0
		page.Accounts = append(page.Accounts, a)
		page.Grants = append(page.Grants, grants...)
	}
	if !a.Active {
		return nil
	}
	m, err := s.userFactors(ctx, id)
	switch {
	case rawhttp.StatusOf(err) == 403 || rawhttp.StatusOf(err) == 404:
	case err != nil:
		return err
	default:
		page.MFA = append(page.MFA, m)
	}
	return nil
}

// refreshGroup reads a group and all its members.
func (s *Source) refreshGroup(ctx context.Context, id string, page *sspm.Page) error {
	body, found, err := s.getOne(ctx, "get group", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.GroupAPI.GetGroup(ctx, id).Execute()
		return resp, err
	})
	if !found || err != nil {
		return err
	}
	g, err := mapGroup(body)
	if err != nil {
		return wrapf("get group", err)
	}
	page.Groups = append(page.Groups, g)
	s.mem.members.reset(id)
	after := ""
	for {
		members, next, err := s.groupMembers(ctx, id, after, true)
		if rawhttp.StatusOf(err) == 404 {
			return nil
		}
		if err != nil {
			return err
		}
		page.GroupMembers = append(page.GroupMembers, members...)
		if next == "" {
			s.mem.members.markComplete(id)
			return nil
		}
		after = next
	}
}

// refreshApp reads an app and all its group and user assignments.
func (s *Source) refreshApp(ctx context.Context, id string, page *sspm.Page) error {
	body, found, err := s.getOne(ctx, "get app", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.ApplicationAPI.GetApplication(ctx, id).Execute()
		return resp, err
	})
	if !found || err != nil {
		return err
	}
	ref, err := mapApp(body)
	if err != nil {
		return wrapf("get app", err)
	}
	if err := appRows([][]byte{body}, []appRef{ref}, page); err != nil {
		return err
	}
	s.mem.appGroupsOf, s.mem.appGroups = "", nil
	after := ""
	for {
		grants, next, err := s.appGroupsPage(ctx, id, after)
		if rawhttp.StatusOf(err) == 404 {
			return nil
		}
		if err != nil {
			return err
		}
		page.Grants = append(page.Grants, grants...)
		if next == "" {
			break
		}
		after = next
	}
	s.mem.appGroupsOf = id
	if err := s.indexGroups(ctx, s.mem.appGroups); err != nil {
		return err
	}
	after = ""
	for {
		grants, next, err := s.appUsersPage(ctx, id, after)
		if rawhttp.StatusOf(err) == 404 {
			return nil
		}
		if err != nil {
			return err
		}
		page.Grants = append(page.Grants, grants...)
		if next == "" {
			return nil
		}
		after = next
	}
}

// getOne reads one object for a refresh. An object that is gone (404) is not an error: found is false, and the
// next full run expires it.
func (s *Source) getOne(ctx context.Context, op string, fn func(context.Context) (*okta.APIResponse, error)) (body []byte, found bool, err error) {
	body, _, err = s.c.call(ctx, op, fn)
	switch {
	case rawhttp.StatusOf(err) == 404:
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return body, true, nil
}
