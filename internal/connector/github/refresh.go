package github

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Push-assisted sync: the users, teams and repositories a webhook names (targets of type user, team,
// repository; see mapDelivery) are read again at once, outside any run. A user → the account with its org role
// (GET /orgs/{org}/memberships/{login}), its org grant and its place in the org members group; a team → the
// group, its members and repository grants; a repository → the resource, the org base grant, direct
// collaborators and deploy keys. Objects that no longer exist are skipped: expiring them is the next full run's
// job. Installations and PAT requests are left to the next full run.

// refreshLimit caps the objects one call reads; the next full run catches up with the rest.
const refreshLimit = 100

// RefreshEvents refreshes the targets of the events (every GitHub event the connector maps can change
// inventory).
func (s *Source) RefreshEvents(ctx context.Context, events []sspm.Event) (sspm.Page, error) {
	var targets []sspm.EventTarget
	for _, e := range events {
		targets = append(targets, e.Targets...)
	}
	return s.Refresh(ctx, targets)
}

// Refresh re-reads the users (by login), teams (by slug) and repositories (by full name) the targets name.
func (s *Source) Refresh(ctx context.Context, targets []sspm.EventTarget) (sspm.Page, error) {
	var page sspm.Page
	seen := map[string]bool{}
	for _, t := range targets {
		key := t.Type + "/" + t.ExternalID
		if t.DisplayName == "" || seen[key] || len(seen) >= refreshLimit {
			continue
		}
		var err error
		switch t.Type {
		case "user":
			err = s.refreshUser(ctx, t.DisplayName, &page)
		case "team":
			err = s.refreshTeam(ctx, t.DisplayName, &page)
		case "repository":
			err = s.refreshRepo(ctx, t.DisplayName, &page)
		default:
			continue
		}
		seen[key] = true
		if errors.Is(err, errUnreadable) { // gone (404) or hidden (403): the next full run decides
			continue
		}
		if err != nil {
			return sspm.Page{}, err
		}
	}
	return page, nil
}

func (s *Source) refreshUser(ctx context.Context, login string, page *sspm.Page) error {
	org, err := s.organization(ctx)
	if err != nil {
		return err
	}
	if s.emails == nil {
		if err := s.loadEmails(ctx); err != nil {
			return err
		}
	}
	m, _, err := s.c.gh.Organizations.GetOrgMembership(ctx, login, s.c.org)
	if err != nil {
		return classify("get membership", err)
	}
	if m.GetState() != "active" || m.GetUser() == nil {
		return nil
	}
	if _, err := s.loadProfiles(ctx, []*gh.User{m.GetUser()}); err != nil {
		return err
	}
	role := m.GetRole()
	a, err := s.account(m.GetUser(), "active", role)
	if err != nil {
		return err
	}
	page.Accounts = append(page.Accounts, a)
	page.Grants = append(page.Grants, sspm.Grant{PrincipalExternalID: a.ExternalID, PrincipalKind: sspm.MemberAccount,
		ResourceExternalID: orgResourceID(org.GetID()), Permission: role, Via: "direct"})
	page.GroupMembers = append(page.GroupMembers, sspm.GroupMember{GroupExternalID: orgMembersID(org.GetID()),
		MemberExternalID: a.ExternalID, MemberKind: sspm.MemberAccount, Role: role})
	return nil
}

func (s *Source) refreshTeam(ctx context.Context, slug string, page *sspm.Page) error {
	t, _, err := s.c.gh.Teams.GetTeamBySlug(ctx, s.c.org, slug)
	if err != nil {
		return classify("get team", err)
	}
	p, err := s.team(ctx, t)
	if err != nil {
		return err
	}
	page.Groups = append(page.Groups, p.Groups...)
	page.GroupMembers = append(page.GroupMembers, p.GroupMembers...)
	page.Grants = append(page.Grants, p.Grants...)
	return nil
}

func (s *Source) refreshRepo(ctx context.Context, fullName string, page *sspm.Page) error {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || !strings.EqualFold(owner, s.c.org) {
		return nil
	}
	org, err := s.organization(ctx)
	if err != nil {
		return err
	}
	r, _, err := s.c.gh.Repositories.Get(ctx, s.c.org, name)
	if err != nil {
		return classify("get repository", err)
	}
	id := strconv.FormatInt(r.GetID(), 10)
	raw, _ := json.Marshal(map[string]any{"full_name": r.GetFullName(), "visibility": r.GetVisibility(),
		"private": r.GetPrivate(), "archived": r.GetArchived()})
	page.Resources = append(page.Resources, sspm.Resource{ExternalID: id, Kind: "repository", Name: r.GetFullName(), URL: r.GetHTMLURL(), Raw: raw})
	page.Grants = append(page.Grants, baseGrant(org, id)...)
	g, err := s.collaborators(ctx, r)
	if err != nil && !errors.Is(err, errUnreadable) {
		return err
	}
	page.Grants = append(page.Grants, g...)
	k, err := s.deployKeys(ctx, r)
	if err != nil && !errors.Is(err, errUnreadable) {
		return err
	}
	page.Credentials = append(page.Credentials, k...)
	return nil
}

var _ sspm.EventRefresher = (*Source)(nil)
