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

// orgResourceID is the organization's resource id; members get a grant on it with their org role.
func orgResourceID(id int64) string { return "org:" + strconv.FormatInt(id, 10) }

// membersStep reads one page of members. The first step of a Source also reads the org (its resource), the
// owners (role=admin) and the external identities (emails).
func (s *Source) membersStep(ctx context.Context, page int) (sspm.StepResult, error) {
	var res sspm.StepResult
	org, err := s.organization(ctx)
	if err != nil {
		return res, err
	}
	if page == 1 {
		res.Page.Resources = append(res.Page.Resources, orgResource(org))
		res.Page.Groups = append(res.Page.Groups, orgMembersGroup(org))
	}
	if s.admins == nil {
		if err := s.loadAdmins(ctx); errors.Is(err, errUnreadable) {
			return s.membersUnreadable(res, org), nil
		} else if err != nil {
			return res, err
		}
	}
	if s.emails == nil {
		if err := s.loadEmails(ctx); err != nil {
			return res, err
		}
		res.Message = s.emailNote
	}
	users, resp, err := s.c.gh.Organizations.ListMembers(ctx, s.c.org, &gh.ListMembersOptions{Role: "all", ListOptions: s.list(page)})
	if err = classify("list members", err); errors.Is(err, errUnreadable) {
		return s.membersUnreadable(res, org), nil
	} else if err != nil {
		return res, err
	}
	if err := s.profiles(ctx, users, &res); err != nil {
		return res, err
	}
	for _, u := range users {
		role := "member"
		if s.admins[u.GetLogin()] {
			role = "admin"
		}
		a, err := s.account(u, "active", role)
		if err != nil {
			return sspm.StepResult{}, err
		}
		res.Page.Accounts = append(res.Page.Accounts, a)
		res.Page.Grants = append(res.Page.Grants, sspm.Grant{PrincipalExternalID: a.ExternalID, PrincipalKind: sspm.MemberAccount,
			ResourceExternalID: orgResourceID(org.GetID()), Permission: role, Via: "direct"})
		res.Page.GroupMembers = append(res.Page.GroupMembers, sspm.GroupMember{GroupExternalID: orgMembersID(org.GetID()),
			MemberExternalID: a.ExternalID, MemberKind: sspm.MemberAccount, Role: role})
	}
	res.Next = nextCursor(resp.NextPage)
	return res, nil
}

// membersUnreadable ends the members stage when the credential may not list the members: the rows the listing
// feeds (members' accounts, org role grants, the org members group's members) keep their earlier state.
func (s *Source) membersUnreadable(res sspm.StepResult, org *gh.Organization) sspm.StepResult {
	addUnavailable(&res, membersScopes(org.GetID())...)
	res.Message = join(res.Message, "members: "+errUnreadable.Error())
	res.Next = ""
	return res
}

// organization reads the organization once per Source.
func (s *Source) organization(ctx context.Context) (*gh.Organization, error) {
	if s.org != nil {
		return s.org, nil
	}
	org, _, err := s.c.gh.Organizations.Get(ctx, s.c.org)
	if err != nil {
		return nil, classify("get organization", err)
	}
	s.org = org
	return org, nil
}

// The org base permission (default_repository_permission: every member may use every repository at that level)
// is modelled without a row per member and repository: a synthetic group "org_members:{org id}" (Kind
// org_members) whose members are the organization's members, and one grant per repository from that group
// with the base permission, Via "org_base". Rows: members + repositories, not their product.
func orgMembersID(orgID int64) string { return "org_members:" + strconv.FormatInt(orgID, 10) }

func orgMembersGroup(o *gh.Organization) sspm.Group {
	raw, _ := json.Marshal(map[string]any{"org": o.GetLogin(), "default_repository_permission": o.GetDefaultRepoPermission()})
	return sspm.Group{ExternalID: orgMembersID(o.GetID()), Kind: "org_members", Name: o.GetLogin() + " members",
		Description: "Every member of the organization; holds the org base repository permission", Raw: raw}
}

// baseUnreadable says why a run has no base grants: GitHub shows default_repository_permission only to an
// organization owner (a classic PAT also needs admin:org; a GitHub App or fine-grained token the organization
// permission Administration: read).
const baseUnreadable = "base permission: default_repository_permission not visible to this credential " +
	"(needs an organization owner's token with admin:org, or a GitHub App with Administration: read); base grants kept as they were"

// baseGrant is the org base permission on a repository, nil when the base permission is none or not visible.
func baseGrant(o *gh.Organization, repoID string) []sspm.Grant {
	perm := o.GetDefaultRepoPermission()
	if perm == "" || perm == "none" {
		return nil
	}
	return []sspm.Grant{{PrincipalExternalID: orgMembersID(o.GetID()), PrincipalKind: sspm.MemberGroup, ResourceExternalID: repoID,
		Permission: perm, Via: "org_base", ViaExternalID: orgResourceID(o.GetID())}}
}

func orgResource(o *gh.Organization) sspm.Resource {
	raw, _ := json.Marshal(map[string]any{"login": o.GetLogin(), "default_repository_permission": o.GetDefaultRepoPermission(),
		"two_factor_requirement_enabled": o.GetTwoFactorRequirementEnabled()})
	return sspm.Resource{ExternalID: orgResourceID(o.GetID()), Kind: "org", Name: o.GetLogin(), URL: o.GetHTMLURL(), Raw: raw}
}

func (s *Source) loadAdmins(ctx context.Context) error {
	admins := map[string]bool{}
	for page := 1; page != 0; {
		users, resp, err := s.c.gh.Organizations.ListMembers(ctx, s.c.org, &gh.ListMembersOptions{Role: "admin", ListOptions: s.list(page)})
		if err != nil {
			return classify("list owners", err)
		}
		for _, u := range users {
			admins[u.GetLogin()] = true
		}
		page = resp.NextPage
	}
	s.admins = admins
	return nil
}

// outsideStep reads one page of outside collaborators. A credential that may not list them (not an owner) puts
// accounts into Unavailable so the old rows stay.
func (s *Source) outsideStep(ctx context.Context, page int) (sspm.StepResult, error) {
	var res sspm.StepResult
	if s.emails == nil {
		if err := s.loadEmails(ctx); err != nil {
			return res, err
		}
	}
	users, resp, err := s.c.gh.Organizations.ListOutsideCollaborators(ctx, s.c.org, &gh.ListOutsideCollaboratorsOptions{ListOptions: s.list(page)})
	if err = classify("list outside collaborators", err); errors.Is(err, errUnreadable) {
		res.Unavailable, res.Message = []sspm.Entity{scopeOutside}, "outside collaborators: "+errUnreadable.Error()
		return res, nil
	} else if err != nil {
		return res, err
	}
	if err := s.profiles(ctx, users, &res); err != nil {
		return res, err
	}
	s.noteOutside(page, users, resp.NextPage == 0)
	for _, u := range users {
		a, err := s.account(u, "outside", "outside_collaborator")
		if err != nil {
			return sspm.StepResult{}, err
		}
		res.Page.Accounts = append(res.Page.Accounts, a)
	}
	res.Next = nextCursor(resp.NextPage)
	return res, nil
}

// noteOutside collects the outside collaborators a Source reads from the first page of the stage to its last,
// so that the repositories stage tells them apart without listing them again (outsiders).
func (s *Source) noteOutside(page int, users []*gh.User, last bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if page == 1 {
		s.outsideSeen = map[int64]bool{}
	}
	if s.outsideSeen == nil {
		return // resumed mid-stage: outsiders reads the listing
	}
	for _, u := range users {
		s.outsideSeen[u.GetID()] = true
	}
	if last {
		seen := s.outsideSeen
		s.outside, s.outsideSeen = func(id int64) bool { return seen[id] }, nil
	}
}

// profiles resolves the verified-domain and public emails of the users of a page the identities left without
// email; the first note about them goes into the step's message.
func (s *Source) profiles(ctx context.Context, users []*gh.User, res *sspm.StepResult) error {
	note, err := s.loadProfiles(ctx, users)
	if err != nil {
		return err
	}
	if note != "" && !s.profileNoted {
		s.profileNoted = true
		res.Message = join(res.Message, note)
	}
	return nil
}

// account transforms a user; a user without id or login is malformed and fails the step.
func (s *Source) account(u *gh.User, status, role string) (sspm.Account, error) {
	if u.GetID() == 0 || u.GetLogin() == "" {
		return sspm.Account{}, &sspm.Error{Code: sspm.CodeUnavailable, Message: "github: a user without id or login"}
	}
	login := u.GetLogin()
	kind := sspm.AccountUser
	if isBot(u) {
		kind = sspm.AccountBot
	}
	email := s.emails[strings.ToLower(login)]
	raw, _ := json.Marshal(map[string]any{"login": login, "id": u.GetID(), "type": u.GetType(), "role": role, "email_known": email != ""})
	return sspm.Account{ExternalID: strconv.FormatInt(u.GetID(), 10), Kind: kind, Email: email, Username: login,
		DisplayName: login, Status: status, Active: true, IsAdmin: role == "admin", Raw: raw}, nil
}

func isBot(u *gh.User) bool {
	l := strings.ToLower(u.GetLogin())
	return u.GetType() == "Bot" || strings.HasSuffix(l, "[bot]") || strings.HasSuffix(l, "-bot") ||
		l == "dependabot" || l == "renovate"
}

func (s *Source) list(page int) gh.ListOptions { return gh.ListOptions{Page: page, PerPage: s.perPage} }
