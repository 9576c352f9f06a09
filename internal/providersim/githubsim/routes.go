package githubsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

func (s *Server) routes() {
	s.handle("GET", "/orgs/{org}", s.orgOnly(s.getOrg))
	s.handle("GET", "/orgs/{org}/members", s.orgOnly(s.listMembers))
	s.handle("GET", "/orgs/{org}/memberships/{username}", s.orgOnly(s.getMembership))
	s.handle("GET", "/orgs/{org}/outside_collaborators", s.orgOnly(s.listOutside))
	s.handle("GET", "/orgs/{org}/teams", s.orgOnly(s.listTeams))
	s.handle("GET", "/orgs/{org}/teams/{team_slug}", s.orgOnly(s.getTeam))
	s.handle("GET", "/repos/{owner}/{repo}", s.getRepo)
	s.handle("GET", "/orgs/{org}/teams/{team_slug}/members", s.orgOnly(s.listTeamMembers))
	s.handle("GET", "/orgs/{org}/teams/{team_slug}/repos", s.orgOnly(s.listTeamRepos))
	s.handle("GET", "/orgs/{org}/repos", s.orgOnly(s.listRepos))
	s.handle("GET", "/repos/{owner}/{repo}/collaborators", s.listCollaborators)
	s.handle("GET", "/orgs/{org}/installations", s.orgOnly(s.listInstallations))
	s.handle("GET", "/orgs/{org}/personal-access-tokens", s.orgOnly(s.listPATs(false)))
	s.handle("GET", "/orgs/{org}/personal-access-token-requests", s.orgOnly(s.listPATs(true)))
	s.handle("GET", "/repos/{owner}/{repo}/keys", s.listDeployKeys)
	s.handle("GET", "/orgs/{org}/audit-log", s.orgOnly(s.listAuditLog))
	s.handle("GET", "/rate_limit", s.rateLimit)
	s.handle("POST", "/graphql", s.graphql)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.stats.record("unknown", http.StatusNotFound, false)
		s.writeBody(w, http.StatusNotFound, apiError{Message: "Not Found", DocumentationURL: "https://docs.github.com/rest"})
	})
}

// orgOnly answers 404 for any organization but the served one (GitHub hides what the token cannot see).
func (s *Server) orgOnly(h func(*http.Request) reply) func(*http.Request) reply {
	return func(r *http.Request) reply {
		if !strings.EqualFold(r.PathValue("org"), s.org.Login) {
			return errReply(http.StatusNotFound, "Not Found")
		}
		return h(r)
	}
}

// getOrg answers GET /orgs/{org}. GitHub shows the full details (the base permission
// default_repository_permission, two_factor_requirement_enabled, members_can_create_repositories, ...) only to
// an organization owner, and to a classic PAT only with admin:org: others get the public fields (NotOwner).
func (s *Server) getOrg(r *http.Request) reply {
	o := s.org
	body := map[string]any{"login": o.Login, "id": o.ID, "node_id": fmt.Sprintf("O_%d", o.ID), "name": o.Name,
		"type": "Organization", "html_url": "https://github.com/" + o.Login}
	if !s.opts.NotOwner || s.appTokenValid(r.Header.Get("Authorization")) {
		body["default_repository_permission"], body["two_factor_requirement_enabled"] = o.BasePerm, true
		body["members_can_create_repositories"] = false
	}
	return reply{body: body}
}

func userJSON(u *user) map[string]any {
	return map[string]any{"login": u.Login, "id": u.ID, "node_id": fmt.Sprintf("U_%d", u.ID), "type": u.Type,
		"site_admin": false, "html_url": "https://github.com/" + u.Login}
}

func (s *Server) listMembers(r *http.Request) reply {
	role := r.URL.Query().Get("role")
	var out []map[string]any
	for _, u := range s.org.users {
		if u.Outside || role == "admin" && !u.Admin || role == "member" && u.Admin {
			continue
		}
		out = append(out, userJSON(u))
	}
	page, link := paginate(r, out)
	return reply{body: nonNil(page), link: link}
}

func (s *Server) getMembership(r *http.Request) reply {
	u := s.org.user(r.PathValue("username"))
	if u == nil || u.Outside {
		return errReply(http.StatusNotFound, "Not Found")
	}
	role := "member"
	if u.Admin {
		role = "admin"
	}
	return reply{body: map[string]any{"state": "active", "role": role, "user": userJSON(u),
		"organization": map[string]any{"login": s.org.Login, "id": s.org.ID}}}
}

func (s *Server) listOutside(r *http.Request) reply {
	var out []map[string]any
	for _, u := range s.org.users {
		if u.Outside {
			out = append(out, userJSON(u))
		}
	}
	page, link := paginate(r, out)
	return reply{body: nonNil(page), link: link}
}

func (s *Server) teamJSON(t *team) map[string]any {
	m := map[string]any{"id": t.ID, "node_id": fmt.Sprintf("T_%d", t.ID), "name": t.Name, "slug": t.Slug,
		"description": t.Description, "privacy": "closed", "permission": "pull"}
	if p := s.org.team(t.Parent); p != nil {
		m["parent"] = map[string]any{"id": p.ID, "slug": p.Slug, "name": p.Name}
	}
	return m
}

func (s *Server) getTeam(r *http.Request) reply {
	t := s.org.team(r.PathValue("team_slug"))
	if t == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	return reply{body: s.teamJSON(t)}
}

func (s *Server) getRepo(r *http.Request) reply {
	rp := s.org.repo(r.PathValue("repo"))
	if !strings.EqualFold(r.PathValue("owner"), s.org.Login) || rp == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	return reply{body: s.repoJSON(rp)}
}

func (s *Server) listTeams(r *http.Request) reply {
	out := make([]map[string]any, 0, len(s.org.teams))
	for _, t := range s.org.teams {
		out = append(out, s.teamJSON(t))
	}
	page, link := paginate(r, out)
	return reply{body: nonNil(page), link: link}
}

func (s *Server) listTeamMembers(r *http.Request) reply {
	t := s.org.team(r.PathValue("team_slug"))
	if t == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	role := r.URL.Query().Get("role")
	var out []map[string]any
	for _, m := range s.org.teamMembers(t, membershipAll) {
		if role != "" && role != "all" && role != m.Role {
			continue
		}
		if u := s.org.user(m.Login); u != nil {
			out = append(out, userJSON(u))
		}
	}
	page, link := paginate(r, out)
	return reply{body: nonNil(page), link: link}
}

// Team membership as GraphQL's Team.members(membership:) filters it: IMMEDIATE (the team's own members),
// CHILD_TEAM (members of its child teams, at any depth, and not of the team itself) or ALL.
const (
	membershipImmediate = "IMMEDIATE"
	membershipChildTeam = "CHILD_TEAM"
	membershipAll       = "ALL"
)

// teamMembers lists a team's members for a membership filter, each user once: its own members with their role,
// then the members of its child teams (depth first) as "member" unless they are the team's own. GitHub documents
// that the REST team members listing "will include the members of child teams", that is membership ALL.
func (o *org) teamMembers(t *team, membership string) []teamMember {
	seen := map[string]bool{}
	var out []teamMember
	if membership != membershipChildTeam {
		for _, m := range t.Members {
			seen[m.Login] = true
			out = append(out, m)
		}
	} else {
		for _, m := range t.Members {
			seen[m.Login] = true
		}
	}
	if membership == membershipImmediate {
		return out
	}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		if depth > len(o.teams) {
			return
		}
		for _, c := range o.teams {
			if c.Parent != parent {
				continue
			}
			for _, m := range c.Members {
				if !seen[m.Login] {
					seen[m.Login] = true
					out = append(out, teamMember{Login: m.Login, Role: "member"})
				}
			}
			walk(c.Slug, depth+1)
		}
	}
	walk(t.Slug, 0)
	return out
}

func (s *Server) repoJSON(rp *repo) map[string]any {
	return map[string]any{"id": rp.ID, "node_id": fmt.Sprintf("R_%d", rp.ID), "name": rp.Name,
		"full_name": s.org.Login + "/" + rp.Name, "private": rp.Visibility != "public", "visibility": rp.Visibility,
		"archived": rp.Archived, "html_url": "https://github.com/" + s.org.Login + "/" + rp.Name,
		"owner": map[string]any{"login": s.org.Login, "id": s.org.ID, "type": "Organization"}}
}

// permissionsOf is the permissions object GitHub derives from a role.
func permissionsOf(role string) map[string]bool {
	rank := map[string]int{"pull": 1, "triage": 2, "push": 3, "maintain": 4, "admin": 5}[role]
	return map[string]bool{"pull": rank >= 1, "triage": rank >= 2, "push": rank >= 3, "maintain": rank >= 4, "admin": rank >= 5}
}

// roleName is the role_name GitHub reports for a permission.
func roleName(perm string) string {
	switch perm {
	case "pull":
		return "read"
	case "push":
		return "write"
	}
	return perm
}

func (s *Server) listTeamRepos(r *http.Request) reply {
	t := s.org.team(r.PathValue("team_slug"))
	if t == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var out []map[string]any
	for _, tr := range t.Repos {
		if rp := s.org.repo(tr.Repo); rp != nil {
			m := s.repoJSON(rp)
			m["permissions"], m["role_name"] = permissionsOf(tr.Perm), roleName(tr.Perm)
			out = append(out, m)
		}
	}
	page, link := paginate(r, out)
	return reply{body: nonNil(page), link: link}
}

func (s *Server) listRepos(r *http.Request) reply {
	out := make([]map[string]any, 0, len(s.org.repos))
	for _, rp := range s.org.repos {
		out = append(out, s.repoJSON(rp))
	}
	page, link := paginate(r, out)
	return reply{body: nonNil(page), link: link}
}

// permRank orders the repository roles.
var permRank = map[string]int{"pull": 1, "read": 1, "triage": 2, "push": 3, "write": 3, "maintain": 4, "admin": 5}

// effectivePerm is a user's highest role on a repository from every source, as GitHub reports it in the
// collaborators listing's role_name ("the highest role assigned to the collaborator after considering all
// sources of grants, including: repo, teams, organization, and enterprise"): the direct grant, the teams the
// user is an immediate member of and their ancestors (a child team inherits its parent's access), and, for a
// member, the organization's base permission.
func (o *org) effectivePerm(u *user, rp *repo, direct string) string {
	best := direct
	better := func(p string) {
		if permRank[p] > permRank[best] {
			best = p
		}
	}
	if !u.Outside {
		better(o.BasePerm)
		for _, t := range o.teams {
			if !slices.ContainsFunc(t.Members, func(m teamMember) bool { return m.Login == u.Login }) {
				continue
			}
			for at, depth := t, 0; at != nil && depth <= len(o.teams); at, depth = o.team(at.Parent), depth+1 {
				for _, tr := range at.Repos {
					if tr.Repo == rp.Name {
						better(tr.Perm)
					}
				}
			}
		}
	}
	return best
}

// listCollaborators serves affiliation=direct (default all) and outside; "all" here equals direct because the
// simulator does not list users whose only access is through a team or the base permission. role_name and
// permissions are the collaborator's highest role from every source (effectivePerm), as GitHub documents them.
func (s *Server) listCollaborators(r *http.Request) reply {
	rp := s.org.repo(r.PathValue("repo"))
	if !strings.EqualFold(r.PathValue("owner"), s.org.Login) || rp == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	aff := r.URL.Query().Get("affiliation")
	var out []map[string]any
	for _, c := range rp.Collabs {
		u := s.org.user(c.Login)
		if u == nil || aff == "outside" && !u.Outside {
			continue
		}
		m := userJSON(u)
		eff := s.org.effectivePerm(u, rp, c.Perm)
		m["permissions"], m["role_name"] = permissionsOf(eff), roleName(eff)
		out = append(out, m)
	}
	page, link := paginate(r, out)
	return reply{body: nonNil(page), link: link}
}

func (s *Server) listInstallations(r *http.Request) reply {
	out := make([]map[string]any, 0, len(s.org.installs))
	for _, in := range s.org.installs {
		out = append(out, map[string]any{"id": in.ID, "app_id": in.AppID, "app_slug": in.AppSlug,
			"target_id": s.org.ID, "target_type": "Organization", "repository_selection": "all",
			"permissions": in.Perms, "events": in.Events, "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-03-01T10:00:00Z",
			"account": map[string]any{"login": s.org.Login, "id": s.org.ID, "type": "Organization"}})
	}
	page, link := paginate(r, out)
	return reply{body: map[string]any{"total_count": len(out), "installations": nonNil(page)}, link: link}
}

func (s *Server) rateLimit(_ *http.Request) reply {
	return reply{body: map[string]any{"resources": map[string]any{}}}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
