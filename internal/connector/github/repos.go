package github

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// reposStep reads one page of repositories (resources) and each one's direct collaborators (grants, Via
// direct). A repository whose collaborators the credential may not read keeps its old grants (Unavailable).
func (s *Source) reposStep(ctx context.Context, page int) (sspm.StepResult, error) {
	var res sspm.StepResult
	org, err := s.organization(ctx)
	if err != nil {
		return res, err
	}
	repos, resp, err := s.c.gh.Repositories.ListByOrg(ctx, s.c.org, &gh.RepositoryListByOrgOptions{Type: "all", ListOptions: s.list(page)})
	if err = classify("list repositories", err); errors.Is(err, errUnreadable) {
		// Collaborator grants are told from the org role grants (also via direct) only by their repository: the
		// direct grants are kept whole.
		res.Unavailable = []sspm.Entity{scopeRepos, scopeBaseGrants, scope(sspm.EntityGrants, "via", "direct"),
			scope(sspm.EntityGrants, "via", viaEffective), scopeDeployKeys}
		res.Message = "repositories: " + errUnreadable.Error()
		return res, nil
	} else if err != nil {
		return res, err
	}
	if org.DefaultRepoPermission == nil { // not an owner's token: no base grants, and the earlier ones are kept
		addUnavailable(&res, scopeBaseGrants)
		res.Message = join(res.Message, baseUnreadable)
	}
	grants := make([][]sspm.Grant, len(repos))
	keys := make([][]sspm.Credential, len(repos))
	hidden, keysHidden := make([]bool, len(repos)), make([]bool, len(repos))
	err = forEach(ctx, len(repos), func(ctx context.Context, i int) error {
		g, err := s.collaborators(ctx, repos[i])
		if errors.Is(err, errUnreadable) {
			hidden[i] = true
		} else if err != nil {
			return err
		}
		grants[i] = g
		k, err := s.deployKeys(ctx, repos[i])
		if errors.Is(err, errUnreadable) {
			keysHidden[i] = true
			return nil
		}
		keys[i] = k
		return err
	})
	if err != nil {
		return sspm.StepResult{}, err
	}
	for i, r := range repos {
		if r.GetID() == 0 || r.GetName() == "" {
			return sspm.StepResult{}, &sspm.Error{Code: sspm.CodeUnavailable, Message: "github: a repository without id or name"}
		}
		raw, _ := json.Marshal(map[string]any{"full_name": r.GetFullName(), "visibility": r.GetVisibility(),
			"private": r.GetPrivate(), "archived": r.GetArchived()})
		res.Page.Resources = append(res.Page.Resources, sspm.Resource{ExternalID: strconv.FormatInt(r.GetID(), 10),
			Kind: "repository", Name: r.GetFullName(), URL: r.GetHTMLURL(), Raw: raw})
		res.Page.Grants = append(res.Page.Grants, baseGrant(org, strconv.FormatInt(r.GetID(), 10))...)
		res.Page.Grants = append(res.Page.Grants, grants[i]...)
		res.Page.Credentials = append(res.Page.Credentials, keys[i]...)
		if hidden[i] {
			addUnavailable(&res, scopeRepoCollaborators(strconv.FormatInt(r.GetID(), 10))...)
			if !strings.Contains(res.Message, "repository collaborators: ") {
				res.Message = join(res.Message, "repository collaborators: "+errUnreadable.Error())
			}
		}
		if keysHidden[i] && !slices.Contains(res.Unavailable, scopeDeployKeys) {
			res.Unavailable = append(res.Unavailable, scopeDeployKeys)
			res.Message = join(res.Message, "deploy keys: "+errUnreadable.Error())
		}
	}
	res.Next = nextCursor(resp.NextPage)
	return res, nil
}

// collaborators reads a repository's direct collaborators (affiliation=direct). GitHub documents the listing's
// role_name (and permissions) as the collaborator's highest role from every source (the direct grant, teams, the
// base permission, organization roles), so it is stored as what it is: a grant Via "effective". Only an outside
// collaborator's role is its direct grant (it can be in no team and gets no base permission): that one is
// stored Via "direct". Without the outside collaborators listing every collaborator's grant is effective.
func (s *Source) collaborators(ctx context.Context, r *gh.Repository) ([]sspm.Grant, error) {
	outside, err := s.outsiders(ctx)
	if err != nil {
		return nil, err
	}
	var out []sspm.Grant
	repoID := strconv.FormatInt(r.GetID(), 10)
	err = s.eachPage(func(page int) (int, error) {
		users, resp, err := s.c.gh.Repositories.ListCollaborators(ctx, s.c.org, r.GetName(), &gh.ListCollaboratorsOptions{Affiliation: "direct", ListOptions: s.list(page)})
		for _, u := range users {
			via := viaEffective
			if outside(u.GetID()) {
				via = "direct"
			}
			out = append(out, sspm.Grant{PrincipalExternalID: strconv.FormatInt(u.GetID(), 10), PrincipalKind: sspm.MemberAccount,
				ResourceExternalID: repoID, Permission: permissionOf(u.GetRoleName(), u.GetPermissions()), Via: via})
		}
		return next(resp), classify("list collaborators", err)
	})
	return out, err
}

// outsiders tells outside collaborators by id, read once per Source: from the outside collaborators listing,
// else (a credential that may not read it) as the users who are not members; when neither can be read, nobody
// is told apart and every collaborator's grant is labelled effective.
func (s *Source) outsiders(ctx context.Context) (func(id int64) bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outside != nil {
		return s.outside, nil
	}
	read := func(list func(page int) ([]*gh.User, *gh.Response, error), op string) (map[int64]bool, error) {
		set := map[int64]bool{}
		err := s.eachPage(func(page int) (int, error) {
			users, resp, err := list(page)
			for _, u := range users {
				set[u.GetID()] = true
			}
			return next(resp), classify(op, err)
		})
		return set, err
	}
	outside, err := read(func(page int) ([]*gh.User, *gh.Response, error) {
		return s.c.gh.Organizations.ListOutsideCollaborators(ctx, s.c.org, &gh.ListOutsideCollaboratorsOptions{ListOptions: s.list(page)})
	}, "list outside collaborators")
	switch {
	case err == nil:
		s.outside = func(id int64) bool { return outside[id] }
		return s.outside, nil
	case !errors.Is(err, errUnreadable):
		return nil, err
	}
	members, err := read(func(page int) ([]*gh.User, *gh.Response, error) {
		return s.c.gh.Organizations.ListMembers(ctx, s.c.org, &gh.ListMembersOptions{Role: "all", ListOptions: s.list(page)})
	}, "list members")
	switch {
	case err == nil:
		s.outside = func(id int64) bool { return !members[id] }
	case errors.Is(err, errUnreadable):
		s.outside = func(int64) bool { return false }
	default:
		return nil, err
	}
	return s.outside, nil
}
