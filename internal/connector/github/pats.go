package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// fineGrainedPAT is an item of GET /orgs/{org}/personal-access-tokens and …-token-requests (go-github v62 has
// no method for them; the request goes through the same authenticated client).
type fineGrainedPAT struct {
	ID                  int64                        `json:"id"`
	TokenID             int64                        `json:"token_id"`
	TokenName           string                       `json:"token_name"`
	Owner               *gh.User                     `json:"owner"`
	RepositorySelection string                       `json:"repository_selection"`
	Permissions         map[string]map[string]string `json:"permissions"`
	TokenExpired        bool                         `json:"token_expired"`
	TokenExpiresAt      *time.Time                   `json:"token_expires_at"`
	TokenLastUsedAt     *time.Time                   `json:"token_last_used_at"`
	AccessGrantedAt     *time.Time                   `json:"access_granted_at"`
	CreatedAt           *time.Time                   `json:"created_at"`
	Reason              string                       `json:"reason"`
}

// patsStep reads one page of the fine-grained PATs granted access to the organization (requests false) or of
// the pending requests (requests true) as credential metadata. Listing them needs a GitHub App with the
// organization permission "Personal access tokens: read" (GitHub answers a token 403): a 403/404 makes only the
// credentials of that kind unavailable, so removed installations and deploy keys still expire.
func (s *Source) patsStep(ctx context.Context, page int, requests bool) (sspm.StepResult, error) {
	var res sspm.StepResult
	path, kind, what, hidden := "personal-access-tokens", "github_pat", "fine-grained PATs", scopePATs
	if requests {
		path, kind, what, hidden = "personal-access-token-requests", "github_pat_request", "fine-grained PAT requests", scopePATRequests
	}
	req, err := s.c.gh.NewRequest("GET", fmt.Sprintf("orgs/%s/%s?page=%d&per_page=%d", s.c.org, path, page, s.perPage), nil)
	if err != nil {
		return res, err
	}
	var items []fineGrainedPAT
	resp, err := s.c.gh.Do(ctx, req, &items)
	if err = classify("list "+what, err); errors.Is(err, errUnreadable) {
		res.Unavailable, res.Message = []sspm.Entity{hidden}, what+": "+errUnreadable.Error()
		return res, nil
	} else if err != nil {
		return res, err
	}
	for _, p := range items {
		var scopes []string
		for level, perms := range p.Permissions {
			for k, v := range perms {
				scopes = append(scopes, level+"/"+k+":"+v)
			}
		}
		sort.Strings(scopes)
		c := sspm.Credential{ExternalID: "pat:" + strconv.FormatInt(p.ID, 10), Kind: kind, Name: p.TokenName, Scopes: scopes}
		if requests {
			c.ExternalID = "pat_request:" + strconv.FormatInt(p.ID, 10)
		}
		if p.Owner.GetID() != 0 {
			c.OwnerExternalID = strconv.FormatInt(p.Owner.GetID(), 10)
		}
		for _, t := range []struct {
			dst *time.Time
			src *time.Time
		}{{&c.ExpiresAt, p.TokenExpiresAt}, {&c.LastUsedAt, p.TokenLastUsedAt}, {&c.CreatedAt, p.AccessGrantedAt}, {&c.CreatedAt, p.CreatedAt}} {
			if t.src != nil && t.dst.IsZero() {
				*t.dst = *t.src
			}
		}
		c.Raw, _ = json.Marshal(map[string]any{"token_id": p.TokenID, "owner": p.Owner.GetLogin(), "repository_selection": p.RepositorySelection,
			"token_expired": p.TokenExpired, "reason": p.Reason})
		res.Page.Credentials = append(res.Page.Credentials, c)
	}
	res.Next = nextCursor(next(resp))
	return res, nil
}

// deployKeys reads a repository's deploy keys as credential metadata (never the key itself).
func (s *Source) deployKeys(ctx context.Context, r *gh.Repository) ([]sspm.Credential, error) {
	var out []sspm.Credential
	err := s.eachPage(func(page int) (int, error) {
		keys, resp, err := s.c.gh.Repositories.ListKeys(ctx, s.c.org, r.GetName(), s.listPtr(page))
		for _, k := range keys {
			scopes := []string{"contents:write"}
			if k.GetReadOnly() {
				scopes = []string{"contents:read"}
			}
			raw, _ := json.Marshal(map[string]any{"repository": r.GetFullName(), "read_only": k.GetReadOnly(), "verified": k.GetVerified(),
				"added_by": k.GetAddedBy()})
			out = append(out, sspm.Credential{ExternalID: "deploy_key:" + strconv.FormatInt(k.GetID(), 10), Kind: "github_deploy_key",
				Name: k.GetTitle(), Scopes: scopes, CreatedAt: k.GetCreatedAt().Time, LastUsedAt: k.GetLastUsed().Time, Raw: raw})
		}
		return next(resp), classify("list deploy keys", err)
	})
	return out, err
}
