package githubsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Delivery is one sent webhook delivery.
type Delivery struct {
	ID     string
	Event  string
	Body   []byte
	Status int
}

// Send delivers one organization webhook to url, signed with secret as GitHub does (X-Hub-Signature-256:
// sha256=<hex HMAC-SHA256 of the body>), with a fresh X-GitHub-Delivery. It does not retry.
func (s *Server) Send(ctx context.Context, url, secret, event string, payload any) (Delivery, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return Delivery{}, fmt.Errorf("githubsim: encode %s payload: %w", event, err)
	}
	return s.Redeliver(ctx, url, secret, Delivery{ID: newGUID(), Event: event, Body: body})
}

// Redeliver sends a delivery again with the same id and body.
func (s *Server) Redeliver(ctx context.Context, url, secret string, d Delivery) (Delivery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return d, fmt.Errorf("githubsim: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/sim")
	req.Header.Set("X-GitHub-Event", d.Event)
	req.Header.Set("X-GitHub-Delivery", d.ID)
	req.Header.Set("X-GitHub-Hook-ID", "1")
	req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "organization")
	req.Header.Set("X-GitHub-Hook-Installation-Target-ID", fmt.Sprint(s.org.ID))
	req.Header.Set("X-Hub-Signature-256", Sign([]byte(secret), d.Body))
	hc := s.opts.HookClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return d, fmt.Errorf("githubsim: deliver %s: %w", d.Event, err)
	}
	_ = resp.Body.Close()
	d.Status = resp.StatusCode
	return d, nil
}

// Sign returns the X-Hub-Signature-256 value of body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Payload builders: the shapes of GitHub's organization webhooks for the organization's own objects.

func (s *Server) orgRef() map[string]any { return map[string]any{"login": s.org.Login, "id": s.org.ID} }

func (s *Server) sender() map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, u := range s.org.users {
		if u.Admin {
			return userJSON(u)
		}
	}
	return map[string]any{"login": "ghost", "id": 10137, "type": "User"}
}

func (s *Server) userRef(login string) map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if u := s.org.user(login); u != nil {
		return userJSON(u)
	}
	return map[string]any{"login": login, "id": 0, "type": "User"}
}

func (s *Server) teamRef(slug string) map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.org.team(slug); t != nil {
		return s.teamJSON(t)
	}
	return map[string]any{"slug": slug, "name": slug, "id": 0}
}

func (s *Server) repoRef(name string) map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r := s.org.repo(name); r != nil {
		return s.repoJSON(r)
	}
	return map[string]any{"name": name, "full_name": s.org.Login + "/" + name, "id": 0}
}

// OrganizationPayload is an `organization` event (member_added, member_removed, member_invited).
func (s *Server) OrganizationPayload(action, login string) map[string]any {
	return map[string]any{"action": action, "organization": s.orgRef(), "sender": s.sender(),
		"membership": map[string]any{"state": "active", "role": "member", "user": s.userRef(login)}}
}

// MembershipPayload is a `membership` event: a team membership added or removed.
func (s *Server) MembershipPayload(action, teamSlug, login string) map[string]any {
	return map[string]any{"action": action, "scope": "team", "member": s.userRef(login), "team": s.teamRef(teamSlug),
		"organization": s.orgRef(), "sender": s.sender()}
}

// MemberPayload is a `member` event: a repository collaborator added, edited or removed.
func (s *Server) MemberPayload(action, repoName, login string) map[string]any {
	return map[string]any{"action": action, "member": s.userRef(login), "repository": s.repoRef(repoName),
		"organization": s.orgRef(), "sender": s.sender()}
}

// TeamPayload is a `team` event (created, deleted, edited, added_to_repository, removed_from_repository).
func (s *Server) TeamPayload(action, teamSlug string) map[string]any {
	return map[string]any{"action": action, "team": s.teamRef(teamSlug), "organization": s.orgRef(), "sender": s.sender()}
}

// TeamAddPayload is a `team_add` event: a repository added to a team (no action).
func (s *Server) TeamAddPayload(teamSlug, repoName string) map[string]any {
	return map[string]any{"team": s.teamRef(teamSlug), "repository": s.repoRef(repoName), "organization": s.orgRef(), "sender": s.sender()}
}

// RepositoryPayload is a `repository` event (created, deleted, archived, publicized, privatized, ...).
func (s *Server) RepositoryPayload(action, repoName string) map[string]any {
	return map[string]any{"action": action, "repository": s.repoRef(repoName), "organization": s.orgRef(), "sender": s.sender()}
}
