package github

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Email resolution (providers.md §5.2): the first email-shaped value of the SAML identity's nameId, the SCIM
// identity's primary email, the SCIM username. Nothing else is guessed: a member without one stays without
// email and is listed under "needs anchor". (Verified-domain emails and the public profile email cost one
// request per member and are not read.)

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
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"errors"`
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

// emailOf picks the node's email in the documented order.
func (n identityNode) emailOf() string {
	var candidates []string
	if n.SAML != nil {
		candidates = append(candidates, n.SAML.NameID)
	}
	if n.SCIM != nil {
		for _, e := range n.SCIM.Emails {
			if e.Primary {
				candidates = append(candidates, e.Value)
			}
		}
		candidates = append(candidates, n.SCIM.Username)
	}
	for _, c := range candidates {
		if isEmail(c) {
			return strings.ToLower(strings.TrimSpace(c))
		}
	}
	return ""
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == strings.TrimSpace(s) && strings.Contains(s, "@")
}

// loadEmails reads every external identity of the organization. An organization without SAML, or a credential
// that may not read identities, leaves every email empty and says so in emailNote; a 5xx fails the step.
func (s *Source) loadEmails(ctx context.Context) error {
	s.emails = map[string]string{}
	after := ""
	for {
		vars := map[string]any{"org": s.c.org, "first": s.perPage}
		if after != "" {
			vars["after"] = after
		}
		req, err := s.c.gh.NewRequest("POST", s.c.graphql, map[string]any{"query": identitiesQuery, "variables": vars})
		if err != nil {
			return fmt.Errorf("github graphql request: %w", err)
		}
		var ans identitiesAnswer
		if _, err := s.c.gh.Do(ctx, req, &ans); err != nil {
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
			if email := e.Node.emailOf(); email != "" {
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
