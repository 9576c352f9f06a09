package google

import (
	"context"
	"encoding/json"
	"fmt"

	admin "google.golang.org/api/admin/directory/v1"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Kinds of what the tokens stage writes.
const (
	CredentialOAuthToken = "google_oauth_token"
	ResourceOAuthClient  = "oauth_client"
	PermOAuthGrant       = "oauth_grant"
)

// tokensCursor is the walk over users (by email order) reading their OAuth tokens. After is the last user
// read; Start is where this run began ("" when it began at the first user); Used counts this run's reads. Page
// is the users page holding After's successor, when known.
type tokensCursor struct {
	After string  `json:"after,omitempty"`
	Start *string `json:"start,omitempty"`
	Used  int     `json:"used,omitempty"`
	Page  string  `json:"page,omitempty"`
	Index int     `json:"i,omitempty"`
}

// tokenScopes are what the tokens stage writes, for a run's Unavailable list.
func tokenScopes() []sspm.Entity {
	return []sspm.Entity{
		sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": CredentialOAuthToken}),
		sspm.ScopedEntity(sspm.EntityResources, map[string]string{"kind": ResourceOAuthClient}),
		sspm.ScopedEntity(sspm.EntityGrants, map[string]string{"permission": PermOAuthGrant}),
	}
}

// tokensStep reads users' third-party OAuth tokens (tokens.list, one request per user; Google documents no
// "all") → credentials of kind google_oauth_token owned by the account, the OAuth clients as resources and an
// oauth_grant grant from the account to each client. A run reads at most token_budget users and the next run
// continues after the last one read (the stage's watermark), so every user is read once every
// ceil(users / budget) runs. Only a run that read every user from the first to the last lets the sweep expire
// tokens it did not see; other runs keep the earlier rows (revocations show once a whole pass completes).
func (s *Source) tokensStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur tokensCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	if s.set.tokenBudget == 0 {
		res.Message = "OAuth token reads are off (token_budget is 0)"
		res.Unavailable = tokenScopes()
		return res, nil
	}
	if cur.Start == nil { // the first step of this run: the cursor is the previous run's watermark
		start := cur.After
		cur = tokensCursor{After: start, Start: &start}
	}
	finish := func(after string, whole bool, msg string) (sspm.StepResult, error) {
		res.Next, res.Watermark = "", encodeCursor(tokensCursor{After: after})
		if !whole {
			res.Unavailable = tokenScopes()
		}
		res.Message = joinMessages(fmt.Sprintf("read the OAuth tokens of %d users this run", cur.Used), msg)
		return res, nil
	}
	for reads := 0; ; {
		if cur.Used >= s.set.tokenBudget {
			return finish(cur.After, false, "the token budget is spent; the next run continues")
		}
		call := s.c.dir.Users.List().Customer(s.c.customer).MaxResults(s.pageSize(500)).OrderBy("email").
			Fields("nextPageToken", "users(id,primaryEmail)").Context(ctx)
		if cur.Page != "" {
			call = call.PageToken(cur.Page)
		}
		page, err := call.Do()
		if err != nil {
			err = s.c.apiError(ctx, "list users", err)
			if forbiddenErr(err) {
				return finish(cur.After, false, err.Error())
			}
			return res, err
		}
		for cur.Index < len(page.Users) {
			u := page.Users[cur.Index]
			if u.PrimaryEmail <= cur.After && cur.After != "" {
				cur.Index++
				continue
			}
			if reads == s.limits.tokensPerStep || cur.Used >= s.set.tokenBudget {
				res.Next = encodeCursor(cur)
				return res, nil
			}
			list, err := s.c.dir.Tokens.List(u.Id).Context(ctx).Do()
			reads++
			cur.Used++
			if err != nil {
				err = s.c.apiError(ctx, "list tokens", err)
				switch {
				case statusOf(err) == 404: // deleted since listed
				case forbiddenErr(err):
					return finish(cur.After, false, err.Error())
				default:
					return res, err
				}
			} else {
				addTokens(&res.Page, u.Id, list.Items)
			}
			cur.After = u.PrimaryEmail
			cur.Index++
		}
		if page.NextPageToken == "" {
			return finish("", *cur.Start == "", "") // every user read: the next run starts over
		}
		cur.Page, cur.Index = page.NextPageToken, 0
	}
}

// addTokens adds a user's tokens to a page: the credential, the OAuth client and the account's grant to it.
func addTokens(p *sspm.Page, userID string, items []*admin.Token) {
	for _, t := range items {
		if t.ClientId == "" {
			continue
		}
		raw, _ := json.Marshal(map[string]any{"clientId": t.ClientId, "displayText": t.DisplayText, "scopes": t.Scopes,
			"anonymous": t.Anonymous, "nativeApp": t.NativeApp, "userKey": t.UserKey})
		client := "oauth_client:" + t.ClientId
		p.Credentials = append(p.Credentials, sspm.Credential{ExternalID: userID + "/" + t.ClientId,
			Kind: CredentialOAuthToken, Name: t.DisplayText, OwnerExternalID: userID, Scopes: t.Scopes, Raw: raw})
		p.Resources = append(p.Resources, sspm.Resource{ExternalID: client, Kind: ResourceOAuthClient, Name: t.DisplayText,
			Raw: json.RawMessage(fmt.Sprintf(`{"clientId":%q,"anonymous":%t,"nativeApp":%t}`, t.ClientId, t.Anonymous, t.NativeApp))})
		p.Grants = append(p.Grants, sspm.Grant{PrincipalExternalID: userID, PrincipalKind: sspm.MemberAccount,
			ResourceExternalID: client, Permission: PermOAuthGrant, Via: "direct"})
	}
}

// RefreshEvents keeps OAuth grants current between full runs: for each user a pushed token authorize or revoke
// event names, it reads the user's tokens again and returns them; the clients a revoke event names that the user
// no longer holds a token for come back as RevokedGrants and RevokedCredentials, which the store expires at once.
func (s *Source) RefreshEvents(ctx context.Context, events []sspm.Event) (sspm.Page, error) {
	var page sspm.Page
	var users []string
	revoked := map[string][]string{} // user → client ids a revoke event names
	for _, e := range events {
		if (e.Type != "authorize" && e.Type != "revoke") || e.ActorExternalID == "" || s.set.tokenBudget == 0 {
			continue
		}
		if _, ok := revoked[e.ActorExternalID]; !ok {
			users = append(users, e.ActorExternalID)
			revoked[e.ActorExternalID] = nil
		}
		if e.Type == "revoke" {
			for _, t := range e.Targets {
				if t.Type == "oauth_client" && t.ExternalID != "" {
					revoked[e.ActorExternalID] = append(revoked[e.ActorExternalID], t.ExternalID)
				}
			}
		}
	}
	for _, user := range users {
		list, err := s.c.dir.Tokens.List(user).Context(ctx).Do()
		if err != nil {
			err = s.c.apiError(ctx, "list tokens", err)
			if statusOf(err) == 404 || forbiddenErr(err) {
				continue
			}
			return page, err
		}
		addTokens(&page, user, list.Items)
		held := map[string]bool{}
		for _, t := range list.Items {
			held[t.ClientId] = true
		}
		for _, client := range revoked[user] {
			if held[client] { // authorized again since
				continue
			}
			page.RevokedCredentials = append(page.RevokedCredentials, sspm.Credential{ExternalID: user + "/" + client,
				Kind: CredentialOAuthToken, OwnerExternalID: user})
			page.RevokedGrants = append(page.RevokedGrants, sspm.Grant{PrincipalExternalID: user, PrincipalKind: sspm.MemberAccount,
				ResourceExternalID: "oauth_client:" + client, Permission: PermOAuthGrant, Via: "direct"})
		}
	}
	return page, nil
}
