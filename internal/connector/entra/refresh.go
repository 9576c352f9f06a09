package entra

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// maxRefresh bounds the users and groups one refresh re-reads; the next full-lane run covers the rest.
const maxRefresh = 50

// RefreshEvents re-reads what pushed change notifications (and tailed audits) name, at once and outside any
// sync run: a changed user (with its sign-in activity where the tenant has P1, and its admin flag) and a
// changed group with its direct members. A user or group Graph no longer has is left to the next full-lane run.
func (s *Source) RefreshEvents(ctx context.Context, events []sspm.Event) (sspm.Page, error) {
	users, groups := map[string]bool{}, map[string]bool{}
	var userIDs, groupIDs []string
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
	var page sspm.Page
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
		b, err := s.c.get(ctx, "read user", "/users/"+url.PathEscape(id)+"?$select="+userSelect+",signInActivity")
		if nonPremium(err) {
			b, err = s.c.get(ctx, "read user", "/users/"+url.PathEscape(id)+"?$select="+userSelect)
		}
		if st, _ := statusOf(err); st == 404 {
			continue
		}
		if err != nil {
			return sspm.Page{}, err
		}
		a, err := s.mapUser(b)
		if err != nil {
			return sspm.Page{}, err
		}
		page.Accounts = append(page.Accounts, a)
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
