package githubsim

import (
	"fmt"
	"slices"
	"strings"
)

// The changes below are recorded in the audit log like GitHub records them.

// RemoveMember removes a member (or outside collaborator) from the organization, its teams and its repositories.
func (s *Server) RemoveMember(login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.org.user(login)
	if u == nil {
		return fmt.Errorf("githubsim: no user %q", login)
	}
	if !u.Outside {
		s.audit("org.remove_member", map[string]any{"user": u.Login})
	}
	s.org.users = slices.DeleteFunc(s.org.users, func(x *user) bool { return x == u })
	defer s.org.reindex()
	for _, t := range s.org.teams {
		t.Members = slices.DeleteFunc(t.Members, func(m teamMember) bool { return m.Login == u.Login })
	}
	for _, r := range s.org.repos {
		r.Collabs = slices.DeleteFunc(r.Collabs, func(c collaborator) bool { return c.Login == u.Login })
	}
	return nil
}

// DeleteTeam deletes a team; its child teams lose their parent.
func (s *Server) DeleteTeam(slug string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.org.team(slug) == nil {
		return fmt.Errorf("githubsim: no team %q", slug)
	}
	s.audit("team.destroy", map[string]any{"team": slug})
	s.org.teams = slices.DeleteFunc(s.org.teams, func(t *team) bool { return t.Slug == slug })
	defer s.org.reindex()
	for _, t := range s.org.teams {
		if t.Parent == slug {
			t.Parent = ""
		}
	}
	return nil
}

// RemoveCollaborator removes a direct collaborator from a repository.
func (s *Server) RemoveCollaborator(repoName, login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.org.repo(repoName)
	if r == nil {
		return fmt.Errorf("githubsim: no repository %q", repoName)
	}
	n := len(r.Collabs)
	r.Collabs = slices.DeleteFunc(r.Collabs, func(c collaborator) bool { return c.Login == login })
	if len(r.Collabs) == n {
		return fmt.Errorf("githubsim: %s is no collaborator of %s", login, repoName)
	}
	s.audit("repo.remove_member", map[string]any{"repo": repoName, "user": login})
	return nil
}

// DeleteRepo deletes a repository and the teams' access to it.
func (s *Server) DeleteRepo(repoName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.org.repo(repoName) == nil {
		return fmt.Errorf("githubsim: no repository %q", repoName)
	}
	s.audit("repo.destroy", map[string]any{"repo": repoName})
	s.org.repos = slices.DeleteFunc(s.org.repos, func(r *repo) bool { return r.Name == repoName })
	defer s.org.reindex()
	for _, t := range s.org.teams {
		t.Repos = slices.DeleteFunc(t.Repos, func(tr teamRepo) bool { return tr.Repo == repoName })
	}
	return nil
}

// DeleteDeployKey deletes a repository's first deploy key and returns its id.
func (s *Server) DeleteDeployKey(repoName string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.org.repo(repoName)
	if r == nil || len(r.Keys) == 0 {
		return 0, fmt.Errorf("githubsim: repository %q has no deploy key", repoName)
	}
	k := r.Keys[0]
	r.Keys = r.Keys[1:]
	return k.ID, nil
}

// Uninstall removes a GitHub App installation from the organization.
func (s *Server) Uninstall(installationID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.org.installs)
	s.org.installs = slices.DeleteFunc(s.org.installs, func(in installation) bool { return in.ID == installationID })
	if len(s.org.installs) == n {
		return fmt.Errorf("githubsim: no installation %d", installationID)
	}
	return nil
}

// Installations returns the ids of the organization's GitHub App installations.
func (s *Server) Installations() []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []int64
	for _, in := range s.org.installs {
		out = append(out, in.ID)
	}
	return out
}

// ReposWithDeployKeys returns the names of the repositories that have a deploy key.
func (s *Server) ReposWithDeployKeys() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, r := range s.org.repos {
		if len(r.Keys) > 0 {
			out = append(out, r.Name)
		}
	}
	return out
}

// AddCollaborator grants a user direct access to a repository with a permission (pull, triage, push, maintain,
// admin), replacing a direct grant the user had.
func (s *Server) AddCollaborator(repoName, login, perm string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, u := s.org.repo(repoName), s.org.user(login)
	if r == nil || u == nil || permRank[perm] == 0 {
		return fmt.Errorf("githubsim: cannot grant %s %q on %q", login, perm, repoName)
	}
	r.Collabs = slices.DeleteFunc(r.Collabs, func(c collaborator) bool { return c.Login == u.Login })
	r.Collabs = append(r.Collabs, collaborator{Login: u.Login, Perm: perm})
	s.audit("repo.add_member", map[string]any{"repo": repoName, "user": u.Login})
	return nil
}

// DirectPermission is a user's direct grant on a repository as a role name (read, triage, write, maintain,
// admin), "" when none.
func (s *Server) DirectPermission(repoName, login string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r := s.org.repo(repoName); r != nil {
		for _, c := range r.Collabs {
			if strings.EqualFold(c.Login, login) {
				return roleName(c.Perm)
			}
		}
	}
	return ""
}

// TeamRepos returns a team's repositories with the team's permission on each, as role names.
func (s *Server) TeamRepos(slug string) map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]string{}
	if t := s.org.team(slug); t != nil {
		for _, tr := range t.Repos {
			out[tr.Repo] = roleName(tr.Perm)
		}
	}
	return out
}
