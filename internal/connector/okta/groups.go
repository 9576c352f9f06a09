package okta

import (
	"context"
	"fmt"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// groupsStep reads the groups (a page of up to 10,000, emitted as groups) and then each group's members from
// the parent side (group → members), several small member pages per step. The cursor names the groups page, the
// group and the members page, never the page's content.
func (s *Source) groupsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur listCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	st := s.stepper()
	if cursor == "" {
		if err := s.loadAppGroupLists(ctx); err != nil && !rawhttp.Forbidden(err) && rawhttp.StatusOf(err) != 404 {
			return sspm.StepResult{}, err
		}
	}
	for {
		pg := s.mem.groupPage
		if pg == nil || pg.token != cur.Page {
			p, err := s.c.list(ctx, "list groups", func(ctx context.Context) (*okta.APIResponse, error) {
				r := s.c.api.GroupAPI.ListGroups(ctx).Limit(groupsPageSize)
				if cur.Page != "" {
					r = r.After(cur.Page)
				}
				_, resp, err := r.Execute()
				return resp, err
			})
			if rawhttp.Forbidden(err) {
				res.Unavailable = []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers}
				res.Message = "groups unavailable (403): kept the stored groups and members"
				return res, nil
			}
			if err != nil {
				return sspm.StepResult{}, err
			}
			st.requests++
			groups, ids, err := mapGroups(p.items)
			if err != nil {
				return sspm.StepResult{}, wrapf("list groups", err)
			}
			pg = &parentPage{token: cur.Page, ids: ids, next: p.next}
			s.mem.groupPage = pg
			if !cur.Loaded {
				res.Page.Groups = append(res.Page.Groups, groups...)
			}
		}
		cur.Loaded = true
		i := locate(pg.ids, cur.Index, cur.ID)
		if cur.Skip {
			i = len(pg.ids)
		}
		for i < len(pg.ids) {
			if st.full(res.Page.Len()) {
				cur.Index, cur.ID = i, pg.ids[i]
				res.Next = encodeCursor(cur)
				return res, nil
			}
			gid := pg.ids[i]
			index := s.mem.assigned == nil || s.mem.assigned[gid]
			if cur.After == "" && index {
				s.mem.members.reset(gid)
			}
			members, next, err := s.groupMembers(ctx, gid, cur.After, index)
			st.requests++
			switch {
			case rawhttp.StatusOf(err) == 404: // deleted since the groups page was read
				next = ""
			case rawhttp.Forbidden(err): // the members of the remaining groups are not read either
				res.Unavailable = []sspm.Entity{sspm.EntityGroupMembers}
				res.Message = "group members unavailable (403): kept the stored members"
				cur.Skip, cur.After, i = true, "", len(pg.ids)
				continue
			case err != nil:
				return sspm.StepResult{}, err
			}
			res.Page.GroupMembers = append(res.Page.GroupMembers, members...)
			if next != "" {
				cur.After = next
				continue
			}
			if err == nil && index {
				s.mem.members.markComplete(gid)
			}
			cur.After = ""
			i++
		}
		if pg.next == "" {
			return res, nil
		}
		cur = listCursor{Page: pg.next, Skip: cur.Skip}
		if st.full(res.Page.Len()) {
			res.Next = encodeCursor(cur)
			return res, nil
		}
	}
}

// groupMembers reads one page of a group's members and, when index is set, indexes them.
func (s *Source) groupMembers(ctx context.Context, groupID, after string, index bool) ([]sspm.GroupMember, string, error) {
	p, err := s.c.list(ctx, "list group members", func(ctx context.Context) (*okta.APIResponse, error) {
		r := s.c.api.GroupAPI.ListGroupUsers(ctx, groupID).Limit(membersPageSize)
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]sspm.GroupMember, 0, len(p.items))
	for _, item := range p.items {
		f, err := fields(item, "id")
		if err != nil || len(f[0]) < 3 || f[0][0] != '"' {
			return nil, "", sspm.Errorf(sspm.CodeUnavailable, "okta list group members: a member without id")
		}
		uid := string(f[0][1 : len(f[0])-1])
		if index {
			s.mem.members.add(groupID, uid)
		}
		out = append(out, sspm.GroupMember{GroupExternalID: groupID, MemberExternalID: uid, MemberKind: sspm.MemberAccount, Role: "member"})
	}
	return out, p.next, nil
}

// indexGroups makes sure the members of every group in ids are indexed, reading the groups this invocation
// has not read completely.
func (s *Source) indexGroups(ctx context.Context, ids []string) error {
	if s.mem.viaUnknown {
		return nil
	}
	for _, gid := range ids {
		if s.mem.members.isComplete(gid) {
			continue
		}
		s.mem.members.reset(gid)
		after := ""
		for {
			_, next, err := s.groupMembers(ctx, gid, after, true)
			if rawhttp.StatusOf(err) == 404 {
				break
			}
			if err != nil {
				return err
			}
			if next == "" {
				break
			}
			after = next
		}
		s.mem.members.markComplete(gid)
	}
	return nil
}

// loadAppGroupLists reads every app's assigned groups, so that the groups stage indexes only the members of
// groups assigned to an app (the memberships the apps stage asks about) and the apps stage needs not read the
// assignments again. On an error nothing is kept and every group is indexed.
func (s *Source) loadAppGroupLists(ctx context.Context) error {
	s.mem.appGroupLists, s.mem.assigned = nil, nil
	apps, err := s.listAllApps(ctx)
	if err != nil {
		return err
	}
	lists := make(map[string][]string, len(apps))
	assigned := map[string]bool{}
	for _, a := range apps {
		var gids []string
		after := ""
		for {
			grants, next, err := s.appGroupsPage(ctx, a.ID, after)
			if rawhttp.StatusOf(err) == 404 { // deleted since listed: the apps stage skips it
				break
			}
			if err != nil {
				return err
			}
			for _, g := range grants {
				gids = append(gids, g.PrincipalExternalID)
				assigned[g.PrincipalExternalID] = true
			}
			if next == "" {
				break
			}
			after = next
		}
		lists[a.ID] = gids
	}
	s.mem.appGroupLists, s.mem.assigned = lists, assigned
	s.mem.appGroupsOf, s.mem.appGroups = "", nil // appGroupsPage's bookkeeping, for the apps stage's own reads
	return nil
}

// mapGroups turns Okta groups into groups.
func mapGroups(items [][]byte) ([]sspm.Group, []string, error) {
	groups := make([]sspm.Group, 0, len(items))
	ids := make([]string, 0, len(items))
	for _, item := range items {
		g, err := mapGroup(item)
		if err != nil {
			return nil, nil, err
		}
		groups = append(groups, g)
		ids = append(ids, g.ExternalID)
	}
	return groups, ids, nil
}

func mapGroup(item []byte) (sspm.Group, error) {
	f, err := fields(item, "id", "profile")
	if err != nil {
		return sspm.Group{}, err
	}
	id := str(f[0])
	if id == "" {
		return sspm.Group{}, fmt.Errorf("a group without id")
	}
	p, err := fields(orEmptyObject(f[1]), "name", "description")
	if err != nil {
		return sspm.Group{}, err
	}
	return sspm.Group{ExternalID: id, Kind: "group", Name: str(p[0]), Description: str(p[1]), Raw: item}, nil
}
