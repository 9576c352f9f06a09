package githubsim

import (
	"fmt"
	"net/http"
	"strings"
)

// pat is a fine-grained personal access token with access to the organization (granted or requested).
type pat struct {
	ID      int64
	TokenID int64
	Name    string
	Owner   string // login
	Request bool   // a pending request, not yet granted
}

// deployKey is a repository's SSH deploy key.
type deployKey struct {
	ID       int64
	Title    string
	ReadOnly bool
}

const (
	patIDBase = 40000
	keyIDBase = 70000
)

// buildCredentials derives PATs, PAT requests and deploy keys from the organization: every fourth member holds
// a granted token, every seventh has a pending request, every third repository a deploy key.
func (o *org) buildCredentials() {
	n := 0
	for i, u := range o.users {
		if u.Outside {
			continue
		}
		if i%4 == 0 {
			n++
			o.pats = append(o.pats, pat{ID: int64(patIDBase + n), TokenID: int64(patIDBase + 1000 + n), Name: "ci-" + u.Login, Owner: u.Login})
		}
		if i%7 == 3 {
			n++
			o.pats = append(o.pats, pat{ID: int64(patIDBase + n), TokenID: int64(patIDBase + 1000 + n), Name: "req-" + u.Login, Owner: u.Login, Request: true})
		}
	}
	for i, r := range o.repos {
		if i%3 == 0 {
			r.Keys = append(r.Keys, deployKey{ID: int64(keyIDBase + i), Title: "deploy@" + r.Name, ReadOnly: i%2 == 0})
		}
	}
}

func (s *Server) patJSON(p pat) map[string]any {
	m := map[string]any{"id": p.ID, "token_id": p.TokenID, "token_name": p.Name, "token_expired": false,
		"token_expires_at": "2026-12-31T00:00:00Z", "token_last_used_at": "2026-03-01T08:00:00Z", "repository_selection": "all",
		"permissions": map[string]any{"organization": map[string]string{"members": "read"}, "repository": map[string]string{"metadata": "read"}}}
	if u := s.org.user(p.Owner); u != nil {
		m["owner"] = userJSON(u)
	}
	if p.Request {
		m["reason"], m["created_at"] = "automation", "2026-02-20T10:00:00Z"
	} else {
		m["access_granted_at"] = "2026-02-01T10:00:00Z"
	}
	return m
}

// listPATs answers GET /orgs/{org}/personal-access-tokens (or …-token-requests). GitHub documents these for
// GitHub Apps only: a token (classic or fine-grained PAT) gets 403, unless Options.TokensListPATs.
func (s *Server) listPATs(request bool) func(*http.Request) reply {
	return func(r *http.Request) reply {
		if !s.opts.TokensListPATs && !s.appTokenValid(r.Header.Get("Authorization")) {
			return errReply(http.StatusForbidden, "Resource not accessible by personal access token")
		}
		var out []map[string]any
		for _, p := range s.org.pats {
			if p.Request == request {
				out = append(out, s.patJSON(p))
			}
		}
		page, link := paginate(r, out)
		return reply{body: nonNil(page), link: link}
	}
}

func (s *Server) listDeployKeys(r *http.Request) reply {
	rp := s.org.repo(r.PathValue("repo"))
	if !strings.EqualFold(r.PathValue("owner"), s.org.Login) || rp == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var out []map[string]any
	for _, k := range rp.Keys {
		out = append(out, map[string]any{"id": k.ID, "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + fmt.Sprint(k.ID), "title": k.Title,
			"url": fmt.Sprintf("https://api.github.com/repos/%s/%s/keys/%d", s.org.Login, rp.Name, k.ID), "verified": true,
			"read_only": k.ReadOnly, "created_at": "2026-01-10T10:00:00Z", "added_by": "sim-admin", "last_used": "2026-03-01T07:00:00Z"})
	}
	page, link := paginate(r, out)
	return reply{body: nonNil(page), link: link}
}

// PATs returns the ids of the granted fine-grained tokens; PATRequests those of the pending requests.
func (s *Server) PATs() []int64 { return s.patIDs(false) }

// PATRequests returns the ids of the pending fine-grained token requests.
func (s *Server) PATRequests() []int64 { return s.patIDs(true) }

func (s *Server) patIDs(request bool) []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []int64
	for _, p := range s.org.pats {
		if p.Request == request {
			out = append(out, p.ID)
		}
	}
	return out
}

// DeployKeys counts the deploy keys of all repositories.
func (s *Server) DeployKeys() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, r := range s.org.repos {
		n += len(r.Keys)
	}
	return n
}
