package githubsim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// graphql answers the one query the connector sends: the organization's SAML external identities, paged with
// first/after. Anything else is a GraphQL error (200 with an errors array, as GitHub answers).
func (s *Server) graphql(r *http.Request) reply {
	var q struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	login, _ := q.Variables["org"].(string)
	if strings.Contains(q.Query, "nodes(") {
		return s.graphqlNodes(login, q.Variables["ids"])
	}
	if strings.Contains(q.Query, "team(slug:") {
		return s.graphqlTeamMembers(r, login, q.Query, q.Variables)
	}
	if !strings.Contains(q.Query, "externalIdentities") {
		return reply{body: map[string]any{"errors": []map[string]any{{"message": "unsupported query"}}}}
	}
	if !strings.EqualFold(login, s.org.Login) {
		return reply{body: map[string]any{"data": map[string]any{"organization": nil},
			"errors": []map[string]any{{"type": "NOT_FOUND", "message": "Could not resolve to an Organization with the login of '" + login + "'."}}}}
	}
	if s.opts.NoSAML {
		return reply{body: map[string]any{"data": map[string]any{"organization": map[string]any{"samlIdentityProvider": nil}}}}
	}
	first := 100
	if f, ok := q.Variables["first"].(float64); ok && f >= 1 && f <= 100 {
		first = int(f)
	}
	start := 0
	if a, ok := q.Variables["after"].(string); ok && a != "" {
		b, err := base64.StdEncoding.DecodeString(a)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "cursor:"))
		if err != nil || err2 != nil {
			return reply{body: map[string]any{"errors": []map[string]any{{"message": "invalid cursor"}}}}
		}
		start = n
	}
	var ids []*user
	for _, u := range s.org.users {
		if u.NameID != "" || u.SCIMEmail != "" {
			ids = append(ids, u)
		}
	}
	start = min(start, len(ids))
	end := min(start+first, len(ids))
	edges := make([]map[string]any, 0, end-start)
	for _, u := range ids[start:end] {
		node := map[string]any{"guid": "ext-" + strconv.FormatInt(u.ID, 10), "user": map[string]any{"login": u.Login, "databaseId": u.ID}}
		node["samlIdentity"] = map[string]any{"nameId": u.NameID}
		if u.SCIMEmail != "" {
			node["scimIdentity"] = map[string]any{"username": u.SCIMEmail, "emails": []map[string]any{{"value": u.SCIMEmail, "primary": true}}}
		} else {
			node["scimIdentity"] = nil
		}
		edges = append(edges, map[string]any{"node": node})
	}
	endCursor := base64.StdEncoding.EncodeToString([]byte("cursor:" + strconv.Itoa(end)))
	conn := map[string]any{"edges": edges, "pageInfo": map[string]any{"hasNextPage": end < len(ids) || (emptyLast(r) && end > start), "endCursor": endCursor}}
	return reply{body: map[string]any{"data": map[string]any{"organization": map[string]any{
		"samlIdentityProvider": map[string]any{"externalIdentities": conn}}}}}
}

// graphqlNodes answers nodes(ids:) with, for each user id ("U_{id}"), the login, the public profile email and
// organizationVerifiedDomainEmails(login: org) (empty for non-members and for another organization). Unknown
// ids answer null with a NOT_FOUND error, as GitHub does; more than 100 ids is an error.
func (s *Server) graphqlNodes(org string, rawIDs any) reply {
	ids, _ := rawIDs.([]any)
	if len(ids) > 100 {
		return reply{body: map[string]any{"errors": []map[string]any{{"type": "EXCESSIVE_PAGE_SIZE", "message": "You may not request more than 100 nodes at once."}}}}
	}
	nodes := make([]any, len(ids))
	var errs []map[string]any
	for i, raw := range ids {
		id, _ := raw.(string)
		n, err := strconv.ParseInt(strings.TrimPrefix(id, "U_"), 10, 64)
		var u *user
		if err == nil && strings.HasPrefix(id, "U_") {
			u = s.org.byID[n]
		}
		if u == nil {
			errs = append(errs, map[string]any{"type": "NOT_FOUND", "path": []any{"nodes", i}, "message": "Could not resolve to a node with the global id of '" + id + "'"})
			continue
		}
		verified := []string{}
		if !u.Outside && strings.EqualFold(org, s.org.Login) {
			verified = append(verified, u.VerifiedEmails...)
		}
		nodes[i] = map[string]any{"__typename": "User", "login": u.Login, "email": u.PublicEmail, "organizationVerifiedDomainEmails": verified}
	}
	body := map[string]any{"data": map[string]any{"nodes": nodes}}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	return reply{body: body}
}

// graphqlTeamMembers answers organization(login:).team(slug:).members(membership:, first:, after:) with edges of
// {role (MAINTAINER or MEMBER), node {databaseId login}} and pageInfo; membership is a literal in the query or
// the variable $membership, IMMEDIATE, CHILD_TEAM or ALL (the default, as GitHub's).
func (s *Server) graphqlTeamMembers(r *http.Request, login, query string, vars map[string]any) reply {
	if !strings.EqualFold(login, s.org.Login) {
		return reply{body: map[string]any{"data": map[string]any{"organization": nil},
			"errors": []map[string]any{{"type": "NOT_FOUND", "message": "Could not resolve to an Organization with the login of '" + login + "'."}}}}
	}
	slug, _ := vars["slug"].(string)
	t := s.org.team(slug)
	if t == nil {
		return reply{body: map[string]any{"data": map[string]any{"organization": map[string]any{"team": nil}}}}
	}
	membership := membershipAll
	if m, ok := vars["membership"].(string); ok && m != "" {
		membership = m
	}
	for _, m := range []string{membershipImmediate, membershipChildTeam} {
		if strings.Contains(query, "membership: "+m) || strings.Contains(query, "membership:"+m) {
			membership = m
		}
	}
	if membership != membershipImmediate && membership != membershipChildTeam && membership != membershipAll {
		return reply{body: map[string]any{"errors": []map[string]any{{"message": "Argument 'membership' has an invalid value (" + membership + ")."}}}}
	}
	members := s.org.teamMembers(t, membership)
	first := 100
	if f, ok := vars["first"].(float64); ok && f >= 1 && f <= 100 {
		first = int(f)
	}
	start := 0
	if a, ok := vars["after"].(string); ok && a != "" {
		b, err := base64.StdEncoding.DecodeString(a)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "cursor:"))
		if err != nil || err2 != nil {
			return reply{body: map[string]any{"errors": []map[string]any{{"message": "invalid cursor"}}}}
		}
		start = n
	}
	start = min(start, len(members))
	end := min(start+first, len(members))
	edges := make([]map[string]any, 0, end-start)
	for _, m := range members[start:end] {
		u := s.org.user(m.Login)
		if u == nil {
			continue
		}
		edges = append(edges, map[string]any{"role": strings.ToUpper(m.Role), "node": map[string]any{"databaseId": u.ID, "login": u.Login}})
	}
	endCursor := base64.StdEncoding.EncodeToString([]byte("cursor:" + strconv.Itoa(end)))
	conn := map[string]any{"edges": edges, "pageInfo": map[string]any{"hasNextPage": end < len(members) || (emptyLast(r) && end > start), "endCursor": endCursor}}
	return reply{body: map[string]any{"data": map[string]any{"organization": map[string]any{"team": map[string]any{"members": conn}}}}}
}
