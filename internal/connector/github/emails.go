package github

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Email resolution (docs/connectors/github.md#what-it-reads): the first email-shaped value of
//
//  1. the SAML identity's nameId,
//  2. the SCIM identity's primary email, then its username,
//  3. the user's verified-domain emails for the organization (GraphQL User.organizationVerifiedDomainEmails),
//  4. the user's public profile email (GraphQL User.email).
//
// Nothing else is guessed: an account without one stays without email and is listed under "needs anchor".
// The external identities (1, 2) are read once per Source, a hundred per request. Sources 3 and 4 are read only
// for the accounts of a page that 1 and 2 left without email: one GraphQL nodes() request per page of accounts.

const identitiesQuery = `query($org: String!, $first: Int!, $after: String) {
  organization(login: $org) {
    samlIdentityProvider {
      externalIdentities(first: $first, after: $after, membersOnly: true) {
        pageInfo { hasNextPage endCursor }
        edges { node {
          samlIdentity { nameId }
          scimIdentity { username emails { value primary } }
          user { login }
        } }
      }
    }
  }
}`

// profilesQuery reads the verified-domain and public emails of up to 100 users by node id.
const profilesQuery = `query($org: String!, $ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on User { login email organizationVerifiedDomainEmails(login: $org) }
  }
}`

type graphqlError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

type identitiesAnswer struct {
	Data struct {
		Organization *struct {
			SAML *struct {
				Identities struct {
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
					Edges []struct {
						Node identityNode `json:"node"`
					} `json:"edges"`
				} `json:"externalIdentities"`
			} `json:"samlIdentityProvider"`
		} `json:"organization"`
	} `json:"data"`
	Errors []graphqlError `json:"errors"`
}

type identityNode struct {
	SAML *struct {
		NameID string `json:"nameId"`
	} `json:"samlIdentity"`
	SCIM *struct {
		Username string `json:"username"`
		Emails   []struct {
			Value   string `json:"value"`
			Primary bool   `json:"primary"`
		} `json:"emails"`
	} `json:"scimIdentity"`
	User *struct {
		Login string `json:"login"`
	} `json:"user"`
}

type profilesAnswer struct {
	Data struct {
		Nodes []*profileNode `json:"nodes"`
	} `json:"data"`
	Errors []graphqlError `json:"errors"`
}

type profileNode struct {
	Login           string   `json:"login"`
	Email           string   `json:"email"`
	VerifiedDomains []string `json:"organizationVerifiedDomainEmails"`
}

// emailSources are the values each source offers for one account; resolveEmail picks among them.
type emailSources struct {
	SAMLNameID      string
	SCIMPrimary     []string
	SCIMUsername    string
	VerifiedDomains []string
	Public          string
}

// resolveEmail returns the first email-shaped value in the documented order, trimmed and lower-cased, or "".
func resolveEmail(src emailSources) string {
	candidates := append([]string{src.SAMLNameID}, src.SCIMPrimary...)
	candidates = append(candidates, src.SCIMUsername)
	candidates = append(candidates, src.VerifiedDomains...)
	candidates = append(candidates, src.Public)
	for _, c := range candidates {
		if isEmail(c) {
			return strings.ToLower(strings.TrimSpace(c))
		}
	}
	return ""
}

// sources are the identity-provider sources (1, 2) of an external identity.
func (n identityNode) sources() emailSources {
	var src emailSources
	if n.SAML != nil {
		src.SAMLNameID = n.SAML.NameID
	}
	if n.SCIM != nil {
		for _, e := range n.SCIM.Emails {
			if e.Primary {
				src.SCIMPrimary = append(src.SCIMPrimary, e.Value)
			}
		}
		src.SCIMUsername = n.SCIM.Username
	}
	return src
}

// isEmail: one address, exactly one @, no spaces or display name.
func isEmail(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || strings.Count(s, "@") != 1 || strings.ContainsAny(s, " \t<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// loadEmails reads every external identity of the organization. An organization without SAML, or a credential
// that may not read identities, leaves sources 1 and 2 empty and says so in emailNote; a 5xx fails the step.
func (s *Source) loadEmails(ctx context.Context) error {
	s.emails = map[string]string{}
	after := ""
	for {
		vars := map[string]any{"org": s.c.org, "first": s.perPage}
		if after != "" {
			vars["after"] = after
		}
		var ans identitiesAnswer
		if err := s.graphql(ctx, identitiesQuery, vars, &ans); err != nil {
			if err = classify("read external identities", err); errors.Is(err, errUnreadable) {
				s.emailNote = "emails: external identities not readable with this credential"
				return nil
			}
			return err
		}
		if len(ans.Errors) > 0 {
			s.emailNote = "emails: external identities query failed: " + ans.Errors[0].Message
			return nil
		}
		org := ans.Data.Organization
		if org == nil || org.SAML == nil {
			s.emailNote = "emails: the organization has no SAML identity provider"
			return nil
		}
		for _, e := range org.SAML.Identities.Edges {
			if e.Node.User == nil || e.Node.User.Login == "" {
				continue
			}
			if email := resolveEmail(e.Node.sources()); email != "" {
				s.emails[strings.ToLower(e.Node.User.Login)] = email
			}
		}
		pi := org.SAML.Identities.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" || pi.EndCursor == after {
			return nil
		}
		after = pi.EndCursor
	}
}

// loadProfiles resolves sources 3 and 4 for the users of a page whose identities gave no email, in one request
// per hundred users; the result goes into s.emails (an empty string marks a user read without finding one).
// A credential that may not read them, or GraphQL errors without data, leave those users without email and
// say so in the returned note; a 5xx fails the step.
func (s *Source) loadProfiles(ctx context.Context, users []*gh.User) (string, error) {
	var ids []string
	logins := map[string]string{} // node id → login
	for _, u := range users {
		login := strings.ToLower(u.GetLogin())
		if _, known := s.emails[login]; known || u.GetNodeID() == "" || logins[u.GetNodeID()] != "" {
			continue
		}
		ids = append(ids, u.GetNodeID())
		logins[u.GetNodeID()] = login
	}
	var note string
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 100)]
		ids = ids[len(batch):]
		var ans profilesAnswer
		if err := s.graphql(ctx, profilesQuery, map[string]any{"org": s.c.org, "ids": batch}, &ans); err != nil {
			if err = classify("read user emails", err); !errors.Is(err, errUnreadable) {
				return "", err
			}
			note = "emails: verified-domain and public emails not readable with this credential"
		} else if len(ans.Errors) > 0 && note == "" { // a partial answer (a field the credential may not read) still counts
			note = "emails: verified-domain and public emails partly unreadable: " + ans.Errors[0].Message
		}
		for _, id := range batch {
			s.emails[logins[id]] = "" // asked once per Source, whatever the answer
		}
		for _, n := range ans.Data.Nodes {
			if n == nil || n.Login == "" {
				continue
			}
			if email := resolveEmail(emailSources{VerifiedDomains: n.VerifiedDomains, Public: n.Email}); email != "" {
				s.emails[strings.ToLower(n.Login)] = email
			}
		}
	}
	return note, nil
}

// graphql posts a query to the GraphQL endpoint through the same authenticated client.
func (s *Source) graphql(ctx context.Context, query string, vars map[string]any, out any) error {
	req, err := s.c.gh.NewRequest("POST", s.c.graphql, map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("github graphql request: %w", err)
	}
	_, err = s.c.gh.Do(ctx, req, out)
	return err
}
