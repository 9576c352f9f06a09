package github

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// teamsStep reads one page of teams: each team becomes a group (Kind "team"), a child team a group member of
// its parent, each member a group member with the team role, each team repository a grant via the team.
func (s *Source) teamsStep(ctx context.Context, page int) (sspm.StepResult, error) {
	var res sspm.StepResult
	teams, resp, err := s.c.gh.Teams.ListTeams(ctx, s.c.org, s.listPtr(page))
	if err = classify("list teams", err); errors.Is(err, errUnreadable) {
		res.Unavailable = []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants}
		res.Message = "teams: " + errUnreadable.Error()
		return res, nil
	} else if err != nil {
		return res, err
	}
	parts := make([]sspm.Page, len(teams))
	err = forEach(ctx, len(teams), func(ctx context.Context, i int) error {
		p, err := s.team(ctx, teams[i])
		parts[i] = p
		return err
	})
	if err != nil {
		return sspm.StepResult{}, err
	}
	for _, p := range parts {
		res.Page.Groups = append(res.Page.Groups, p.Groups...)
		res.Page.GroupMembers = append(res.Page.GroupMembers, p.GroupMembers...)
		res.Page.Grants = append(res.Page.Grants, p.Grants...)
	}
	res.Next = nextCursor(resp.NextPage)
	return res, nil
}

func (s *Source) listPtr(page int) *gh.ListOptions {
	o := s.list(page)
	return &o
}

func (s *Source) team(ctx context.Context, t *gh.Team) (sspm.Page, error) {
	var p sspm.Page
	if t.GetID() == 0 || t.GetSlug() == "" {
		return p, &sspm.Error{Code: sspm.CodeUnavailable, Message: "github: a team without id or slug"}
	}
	id := strconv.FormatInt(t.GetID(), 10)
	raw, _ := json.Marshal(map[string]any{"slug": t.GetSlug(), "privacy": t.GetPrivacy(), "parent_id": t.GetParent().GetID()})
	p.Groups = append(p.Groups, sspm.Group{ExternalID: id, Kind: "team", Name: t.GetName(), Description: t.GetDescription(), Raw: raw})
	if parent := t.GetParent(); parent.GetID() != 0 {
		p.GroupMembers = append(p.GroupMembers, sspm.GroupMember{GroupExternalID: strconv.FormatInt(parent.GetID(), 10),
			MemberExternalID: id, MemberKind: sspm.MemberGroup, Role: "child_team"})
	}
	maintainers := map[int64]bool{}
	err := s.eachPage(func(page int) (int, error) {
		users, resp, err := s.c.gh.Teams.ListTeamMembersBySlug(ctx, s.c.org, t.GetSlug(), &gh.TeamListTeamMembersOptions{Role: "maintainer", ListOptions: s.list(page)})
		for _, u := range users {
			maintainers[u.GetID()] = true
		}
		return next(resp), classify("list team maintainers", err)
	})
	if err == nil {
		err = s.eachPage(func(page int) (int, error) {
			users, resp, err := s.c.gh.Teams.ListTeamMembersBySlug(ctx, s.c.org, t.GetSlug(), &gh.TeamListTeamMembersOptions{Role: "all", ListOptions: s.list(page)})
			for _, u := range users {
				role := "member"
				if maintainers[u.GetID()] {
					role = "maintainer"
				}
				p.GroupMembers = append(p.GroupMembers, sspm.GroupMember{GroupExternalID: id, MemberExternalID: strconv.FormatInt(u.GetID(), 10),
					MemberKind: sspm.MemberAccount, Role: role})
			}
			return next(resp), classify("list team members", err)
		})
	}
	if err == nil {
		err = s.eachPage(func(page int) (int, error) {
			repos, resp, err := s.c.gh.Teams.ListTeamReposBySlug(ctx, s.c.org, t.GetSlug(), &gh.ListOptions{Page: page, PerPage: s.perPage})
			for _, r := range repos {
				p.Grants = append(p.Grants, sspm.Grant{PrincipalExternalID: id, PrincipalKind: sspm.MemberGroup,
					ResourceExternalID: strconv.FormatInt(r.GetID(), 10), Permission: permissionOf(r.GetRoleName(), r.GetPermissions()),
					Via: "team", ViaExternalID: id})
			}
			return next(resp), classify("list team repositories", err)
		})
	}
	return p, err
}

// permissionOf names a permission by its role name, or by the highest permission flag set.
func permissionOf(role string, perms map[string]bool) string {
	if role != "" {
		return role
	}
	for _, p := range []struct{ flag, name string }{{"admin", "admin"}, {"maintain", "maintain"}, {"push", "write"}, {"triage", "triage"}} {
		if perms[p.flag] {
			return p.name
		}
	}
	return "read"
}

func next(resp *gh.Response) int {
	if resp == nil {
		return 0
	}
	return resp.NextPage
}

// eachPage calls read with page 1, 2, ... until it returns 0 or an error.
func (s *Source) eachPage(read func(page int) (int, error)) error {
	for page := 1; page != 0; {
		n, err := read(page)
		if err != nil {
			return err
		}
		page = n
	}
	return nil
}

// forEach runs fn for 0..n-1 on up to fanOut goroutines (the transport bounds the requests in flight) and
// returns the first error, cancelling the rest.
func forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idx := make(chan int)
	errs := make(chan error, n+fanOut)
	workers := min(n, fanOut)
	for range workers {
		go func() {
			for i := range idx {
				if err := fn(ctx, i); err != nil {
					errs <- err
					cancel()
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case idx <- i:
		case <-ctx.Done():
			i = n
		}
	}
	close(idx)
	var first error
	for done := 0; done < workers; {
		if err := <-errs; err != nil {
			if first == nil {
				first = err
			}
		} else {
			done++
		}
	}
	return first
}

const fanOut = 8
