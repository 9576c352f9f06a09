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

// teamsStep reads one page of teams: each team becomes a group (Kind "team"), a child team a group member of
// its parent, each member a group member with the team role, each team repository a grant via the team.
func (s *Source) teamsStep(ctx context.Context, page int) (sspm.StepResult, error) {
	var res sspm.StepResult
	teams, resp, err := s.c.gh.Teams.ListTeams(ctx, s.c.org, s.listPtr(page))
	if err = classify("list teams", err); errors.Is(err, errUnreadable) {
		// The team links hang off the teams too, and nothing tells a team's member rows from the org members
		// group's: group members are kept whole.
		res.Unavailable = []sspm.Entity{scopeTeams, sspm.EntityGroupMembers, scopeTeamGrants}
		res.Message = "teams: " + errUnreadable.Error()
		return res, nil
	} else if err != nil {
		return res, err
	}
	parts := make([]teamPart, len(teams))
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
		addUnavailable(&res, p.unavailable...)
		for _, n := range p.notes {
			if !strings.Contains(res.Message, n) {
				res.Message = join(res.Message, n)
			}
		}
	}
	res.Next = nextCursor(resp.NextPage)
	return res, nil
}

func (s *Source) listPtr(page int) *gh.ListOptions {
	o := s.list(page)
	return &o
}

// teamPart is what a team's listings gave: its rows, the scopes of the listings the credential may not read
// (their earlier rows are kept), and notes for the run's progress.
type teamPart struct {
	sspm.Page
	unavailable []sspm.Entity
	notes       []string
}

// unreadable records a listing of the team the credential may not read; other errors are returned.
func (p *teamPart) unreadable(err error, what string, hidden sspm.Entity) error {
	if !errors.Is(err, errUnreadable) {
		return err
	}
	p.unavailable = append(p.unavailable, hidden)
	p.notes = append(p.notes, what+": "+errUnreadable.Error())
	return nil
}

func (s *Source) team(ctx context.Context, t *gh.Team) (teamPart, error) {
	var p teamPart
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
	members, err := s.teamMembers(ctx, t, id)
	if err = p.unreadable(err, "team members", scopeTeamMembers(id)); err != nil {
		return p, err
	}
	p.GroupMembers = append(p.GroupMembers, members...)
	grants, err := s.teamRepos(ctx, t, id)
	if err = p.unreadable(err, "team repositories", scopeTeamRepos(id)); err != nil {
		return p, err
	}
	p.Grants = append(p.Grants, grants...)
	return p, nil
}

// teamMembersQuery reads a team's immediate members with their team role. The REST team members listing
// includes the members of child teams (documented), which would store them as direct members of the parent;
// GraphQL's membership: IMMEDIATE gives the team's own, and the nesting (child teams as group members) carries
// the inherited part.
const teamMembersQuery = `query($org: String!, $slug: String!, $first: Int!, $after: String) {
  organization(login: $org) { team(slug: $slug) {
    members(membership: IMMEDIATE, first: $first, after: $after) {
      edges { role node { databaseId login } }
      pageInfo { hasNextPage endCursor } } } } }`

type teamMembersAnswer struct {
	Data struct {
		Organization *struct {
			Team *struct {
				Members struct {
					Edges []struct {
						Role string `json:"role"`
						Node struct {
							DatabaseID int64  `json:"databaseId"`
							Login      string `json:"login"`
						} `json:"node"`
					} `json:"edges"`
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
				} `json:"members"`
			} `json:"team"`
		} `json:"organization"`
	} `json:"data"`
	Errors []graphqlError `json:"errors"`
}

// teamMembers reads a team's immediate members with their team role (maintainer or member). A team or
// organization the credential may not see (403, or GraphQL's FORBIDDEN / NOT_FOUND, or a null team) is
// errUnreadable; other GraphQL errors fail the step.
func (s *Source) teamMembers(ctx context.Context, t *gh.Team, id string) ([]sspm.GroupMember, error) {
	var out []sspm.GroupMember
	after := ""
	for {
		vars := map[string]any{"org": s.c.org, "slug": t.GetSlug(), "first": s.perPage}
		if after != "" {
			vars["after"] = after
		}
		var ans teamMembersAnswer
		if err := s.graphql(ctx, teamMembersQuery, vars, &ans); err != nil {
			return out, classify("read team members", err)
		}
		for _, e := range ans.Errors {
			if e.Type == "FORBIDDEN" || e.Type == "NOT_FOUND" {
				return out, &sspm.Error{Code: sspm.CodeForbidden, Message: "github read team members: " + e.Message, Err: errUnreadable}
			}
		}
		if len(ans.Errors) > 0 {
			return out, &sspm.Error{Code: sspm.CodeUnavailable, Message: "github read team members: " + ans.Errors[0].Message}
		}
		org := ans.Data.Organization
		if org == nil || org.Team == nil {
			return out, &sspm.Error{Code: sspm.CodeForbidden, Message: "github read team members: team not visible", Err: errUnreadable}
		}
		for _, e := range org.Team.Members.Edges {
			if e.Node.DatabaseID == 0 {
				return nil, &sspm.Error{Code: sspm.CodeUnavailable, Message: "github: a team member without databaseId"}
			}
			out = append(out, sspm.GroupMember{GroupExternalID: id, MemberExternalID: strconv.FormatInt(e.Node.DatabaseID, 10),
				MemberKind: sspm.MemberAccount, Role: strings.ToLower(e.Role)})
		}
		pi := org.Team.Members.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" || pi.EndCursor == after {
			return out, nil
		}
		after = pi.EndCursor
	}
}

// teamRepos reads a team's repositories as grants via the team.
func (s *Source) teamRepos(ctx context.Context, t *gh.Team, id string) ([]sspm.Grant, error) {
	var out []sspm.Grant
	err := s.eachPage(func(page int) (int, error) {
		repos, resp, err := s.c.gh.Teams.ListTeamReposBySlug(ctx, s.c.org, t.GetSlug(), &gh.ListOptions{Page: page, PerPage: s.perPage})
		for _, r := range repos {
			out = append(out, sspm.Grant{PrincipalExternalID: id, PrincipalKind: sspm.MemberGroup,
				ResourceExternalID: strconv.FormatInt(r.GetID(), 10), Permission: permissionOf(r.GetRoleName(), r.GetPermissions()),
				Via: "team", ViaExternalID: id})
		}
		return next(resp), classify("list team repositories", err)
	})
	return out, err
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
