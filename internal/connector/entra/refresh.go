package entra

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// maxRefresh bounds the users, groups and apps one refresh re-reads; the next full-lane run covers the rest.
const maxRefresh = 50

// appActivities are the directoryAudit activities that change an app's owners or app role assignments without
// changing the app itself (so the apps delta does not report them); their targets name the service principal
// (or application) and the principal.
var appActivities = map[string]bool{
	"Add owner to service principal":                    true,
	"Remove owner from service principal":               true,
	"Add owner to application":                          true,
	"Remove owner from application":                     true,
	"Add app role assignment grant to user":             true,
	"Remove app role assignment from user":              true,
	"Add app role assignment to group":                  true,
	"Remove app role assignment from group":             true,
	"Add app role assignment to service principal":      true,
	"Remove app role assignment from service principal": true,
}

// RefreshEvents re-reads what pushed change notifications (and tailed audits) name, at once and outside any
// sync run: a changed user (with its sign-in activity where the tenant has P1, and its admin flag), a changed
// group with its direct members, and an app whose owners or app role assignments an audit says changed (see
// refreshApps). A user or group Graph no longer has is left to the next full-lane run.
func (s *Source) RefreshEvents(ctx context.Context, events []sspm.Event) (sspm.Page, error) {
	users, groups := map[string]bool{}, map[string]bool{}
	var userIDs, groupIDs []string
	var page sspm.Page
	if err := s.refreshApps(ctx, events, &page); err != nil {
		return sspm.Page{}, err
	}
	for _, e := range events {
		if !strings.HasPrefix(e.Type, "users.") && !strings.HasPrefix(e.Type, "groups.") && e.Category != "membership.add" &&
			e.Category != "membership.remove" && e.Category != "user.suspend" && e.Category != "user.reactivate" && e.Category != "user.update" {
			continue
		}
		for _, t := range e.Targets {
			switch {
			case t.Type == "user" && !users[t.ExternalID] && len(userIDs) < maxRefresh:
				users[t.ExternalID] = true
				userIDs = append(userIDs, t.ExternalID)
			case t.Type == "group" && !groups[t.ExternalID] && len(groupIDs) < maxRefresh:
				groups[t.ExternalID] = true
				groupIDs = append(groupIDs, t.ExternalID)
			}
		}
	}
	if len(userIDs) > 0 {
		if err := s.loadAdmins(ctx); err != nil {
			if isForbidden(err) {
				userIDs = nil // without the admins an account's admin flag is unknown: left to the full lane
			} else {
				return sspm.Page{}, err
			}
		}
	}
	for _, id := range userIDs {
		a, found, err := s.readUser(ctx, id)
		if err != nil {
			return sspm.Page{}, err
		}
		if found {
			page.Accounts = append(page.Accounts, a)
		}
	}
	for _, id := range groupIDs {
		b, err := s.c.get(ctx, "read group", "/groups/"+url.PathEscape(id)+"?$select="+groupSelect)
		if st, _ := statusOf(err); st == 404 {
			continue
		}
		if err != nil {
			return sspm.Page{}, err
		}
		g, err := mapGroup(b)
		if err != nil {
			return sspm.Page{}, err
		}
		page.Groups = append(page.Groups, g)
		err = s.eachItem(ctx, "list group members", "/groups/"+url.PathEscape(id)+"/members?$select=id&$top=999", func(_ json.RawMessage, o object) error {
			if mid, kind, ok := principal(o.Type, o.ID); ok {
				page.GroupMembers = append(page.GroupMembers, sspm.GroupMember{GroupExternalID: id, MemberExternalID: mid, MemberKind: kind, Role: "member"})
			}
			return nil
		})
		if err != nil {
			return sspm.Page{}, err
		}
	}
	return page, nil
}

// refreshApps re-reads the service principals and applications that app audits name (appActivities; at most
// maxRefresh): a service principal with its owners and app role assignments, an application with its owners.
// Those listings are all of the app's grants, so the page also revokes the app's grants it no longer lists
// (RevokedGrants naming only the resource): a removed owner or assignment expires at once. An app whose listing is
// refused (403) or that Graph no longer has (404) is left to the next full-lane run.
func (s *Source) refreshApps(ctx context.Context, events []sspm.Event, page *sspm.Page) error {
	seen := map[string]bool{}
	var sps, apps []string
	for _, e := range events {
		if !appActivities[e.Type] {
			continue
		}
		for _, t := range e.Targets {
			id, ok := strings.CutPrefix(t.ExternalID, "sp:")
			switch {
			case len(sps)+len(apps) >= maxRefresh || seen[t.ExternalID]:
			case t.Type == "serviceprincipal" && ok:
				sps = append(sps, id)
			case t.Type == "application":
				apps = append(apps, t.ExternalID)
			default:
				continue
			}
			seen[t.ExternalID] = true
		}
	}
	lists := s.appLists()
	read := func(id string, l listing, self bool) error {
		var p sspm.Page
		if self {
			b, err := s.c.get(ctx, "read service principal", "/servicePrincipals/"+url.PathEscape(id)+"?$select="+spSelect)
			if err != nil {
				return err
			}
			if err := l.emit(b, object{ID: id}, &p); err != nil {
				return err
			}
		}
		for _, c := range l.children {
			err := s.eachItem(ctx, c.op, c.link(id), func(item json.RawMessage, o object) error { return c.emit(id, item, o, &p) })
			if err != nil {
				return err
			}
		}
		page.Resources = append(page.Resources, p.Resources...)
		page.Accounts = append(page.Accounts, p.Accounts...)
		page.Credentials = append(page.Credentials, p.Credentials...)
		page.Grants = append(page.Grants, p.Grants...)
		page.RevokedGrants = append(page.RevokedGrants, sspm.Grant{ResourceExternalID: id})
		return nil
	}
	for i, ids := range [][]string{sps, apps} {
		for _, id := range ids {
			err := read(id, lists[i], i == 0)
			if st, _ := statusOf(err); st == 404 || st == 403 {
				continue
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// readUser re-reads one user with the users stage's $select (and its sign-in activity where the tenant has P1)
// and maps it with its admin flag; found is false when Graph no longer has the user.
func (s *Source) readUser(ctx context.Context, id string) (a sspm.Account, found bool, err error) {
	b, err := s.c.get(ctx, "read user", "/users/"+url.PathEscape(id)+"?$select="+userSelect+",signInActivity")
	if nonPremium(err) {
		b, err = s.c.get(ctx, "read user", "/users/"+url.PathEscape(id)+"?$select="+userSelect)
	}
	if st, _ := statusOf(err); st == 404 {
		return sspm.Account{}, false, nil
	}
	if err != nil {
		return sspm.Account{}, false, err
	}
	a, err = s.mapUser(b)
	return a, err == nil, err
}
