package datadog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// API keys and application keys are credentials: metadata only. The listings never return a key's value, and the
// connector decodes only the fields below, so a value Datadog might add to an answer is never stored.

// apiKeysStep reads one page of API keys (GET /api/v2/api_keys): owner is the user who created the key. Without
// api_keys_read (403) the stored API keys are kept and the stage ends.
func (s *Source) apiKeysStep(ctx context.Context, cur pageCursor) (sspm.StepResult, error) {
	return s.keysStep(ctx, cur, keyListing{
		op: "list API keys", perm: PermAPIKeysRead, kind: CredentialAPIKey, owner: "created_by",
		read: func(ctx context.Context, page int) (*http.Response, error) {
			_, resp, err := s.c.keys.ListAPIKeys(ctx, *datadogV2.NewListAPIKeysOptionalParameters().
				WithPageSize(int64(s.pageSize)).WithPageNumber(int64(page)))
			return resp, err
		},
	})
}

// appKeysStep reads one page of the organization's application keys (GET /api/v2/application_keys), service
// accounts' included: owner is the user or service account that owns the key, scopes its scopes (none: the
// owner's every permission). Without org_app_keys_read (403) the stored application keys are kept.
func (s *Source) appKeysStep(ctx context.Context, cur pageCursor) (sspm.StepResult, error) {
	return s.keysStep(ctx, cur, keyListing{
		op: "list application keys", perm: PermOrgAppKeysRead, kind: CredentialAppKey, owner: "owned_by",
		read: func(ctx context.Context, page int) (*http.Response, error) {
			_, resp, err := s.c.keys.ListApplicationKeys(ctx, *datadogV2.NewListApplicationKeysOptionalParameters().
				WithPageSize(int64(s.pageSize)).WithPageNumber(int64(page)))
			return resp, err
		},
	})
}

type keyListing struct {
	op, perm, kind, owner string
	read                  func(ctx context.Context, page int) (*http.Response, error)
}

// keyAttributes are the metadata kept of both kinds of key.
type keyAttributes struct {
	Name         string     `json:"name"`
	Last4        string     `json:"last4"`
	Category     string     `json:"category,omitempty"`
	CreatedAt    *time.Time `json:"created_at"`
	ModifiedAt   *time.Time `json:"modified_at,omitempty"`
	DateLastUsed *time.Time `json:"date_last_used,omitempty"` // API keys
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`   // application keys
	Scopes       []string   `json:"scopes,omitempty"`
}

func (s *Source) keysStep(ctx context.Context, cur pageCursor, kl keyListing) (sspm.StepResult, error) {
	if cur.Page < 0 {
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "datadog: malformed %s cursor", kl.kind)
	}
	body, _, err := s.c.call(ctx, kl.op, kl.perm, func(ctx context.Context) (*http.Response, error) { return kl.read(ctx, cur.Page) })
	if rawhttp.Forbidden(err) {
		return sspm.StepResult{
			Unavailable: []sspm.Entity{sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": kl.kind})},
			Message: fmt.Sprintf("%s: 403, the application key lacks %s: kept the stored %s credentials (add %s to the key's scopes)",
				kl.op, kl.perm, kl.kind, kl.perm),
		}, nil
	}
	if err != nil {
		return sspm.StepResult{}, err
	}
	l, err := decodeListing(kl.op, body)
	if err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	seen := map[string]bool{}
	for _, k := range l.Data {
		if seen[k.ID] {
			continue
		}
		seen[k.ID] = true
		var a keyAttributes
		if err := json.Unmarshal(k.Attributes, &a); err != nil {
			return sspm.StepResult{}, sspm.Errorf(sspm.CodeUnavailable, "datadog %s: key %s: malformed attributes", kl.op, k.ID)
		}
		owner := ""
		if ids := k.relIDs(kl.owner); len(ids) > 0 {
			owner = ids[0]
		}
		lastUsed := a.LastUsedAt
		if kl.kind == CredentialAPIKey {
			lastUsed = a.DateLastUsed
		}
		raw, err := json.Marshal(map[string]any{"id": k.ID, "type": k.Type, "name": a.Name, "last4": a.Last4,
			"category": a.Category, "created_at": a.CreatedAt, "modified_at": a.ModifiedAt, "last_used_at": lastUsed,
			"scopes": a.Scopes, kl.owner: owner})
		if err != nil {
			return sspm.StepResult{}, fmt.Errorf("datadog: encode key: %w", err)
		}
		c := sspm.Credential{ExternalID: k.ID, Kind: kl.kind, Name: a.Name, OwnerExternalID: owner, Scopes: a.Scopes, Raw: raw}
		if a.CreatedAt != nil {
			c.CreatedAt = a.CreatedAt.UTC()
		}
		if lastUsed != nil {
			c.LastUsedAt = lastUsed.UTC()
		}
		res.Page.Credentials = append(res.Page.Credentials, c)
	}
	if s.more(l, cur.Page) {
		res.Next = encodeCursor(pageCursor{Page: cur.Page + 1})
	}
	return res, nil
}
