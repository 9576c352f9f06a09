package google

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// groupsCursor is the position in the groups listing: the page being read, the group within it whose members
// are being read, and the members page.
type groupsCursor struct {
	Page    string `json:"page,omitempty"`
	Index   int    `json:"i,omitempty"`
	Members string `json:"m,omitempty"`
	// NoMembers: the members listing was forbidden earlier in this run.
	NoMembers bool `json:"nm,omitempty"`
}

// membersPerStep bounds the members requests of a step.
const membersPerStep = 50

// groupsStep reads one page of groups → groups, and their direct members → group members (a nested group is a
// member of kind group; its role OWNER, MANAGER or MEMBER is kept).
func (s *Source) groupsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur groupsCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	call := s.c.dir.Groups.List().Customer(s.c.customer).MaxResults(s.pageSize(200)).Context(ctx)
	if cur.Page != "" {
		call = call.PageToken(cur.Page)
	}
	page, err := call.Do()
	if err != nil {
		err = s.c.apiError(ctx, "list groups", err)
		if forbiddenErr(err) {
			res.Unavailable = []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers}
			res.Message = err.Error()
			return res, nil
		}
		return res, err
	}
	if cur.Index == 0 && cur.Members == "" {
		for _, g := range page.Groups {
			if g.Id == "" {
				return res, sspm.Errorf(sspm.CodeUnavailable, "google list groups: a group without id")
			}
			raw, _ := json.Marshal(map[string]any{"id": g.Id, "email": g.Email, "name": g.Name, "aliases": g.Aliases,
				"directMembersCount": g.DirectMembersCount, "adminCreated": g.AdminCreated})
			res.Page.Groups = append(res.Page.Groups, sspm.Group{ExternalID: g.Id, Kind: "group", Name: g.Name, Description: g.Description, Raw: raw})
		}
	}
	for requests := 0; cur.Index < len(page.Groups) && !cur.NoMembers; {
		if requests == membersPerStep {
			res.Next = encodeCursor(cur)
			return res, nil
		}
		g := page.Groups[cur.Index]
		mc := s.c.dir.Members.List(g.Id).MaxResults(s.pageSize(200)).Context(ctx)
		if cur.Members != "" {
			mc = mc.PageToken(cur.Members)
		}
		mp, err := mc.Do()
		requests++
		if err != nil {
			err = s.c.apiError(ctx, "list group members", err)
			switch {
			case forbiddenErr(err):
				cur.NoMembers = true
				res.Message = err.Error()
				continue
			case statusOf(err) == 404: // deleted since listed
				cur.Index, cur.Members = cur.Index+1, ""
				continue
			}
			return res, err
		}
		for _, m := range mp.Members {
			kind := sspm.MemberAccount
			switch m.Type {
			case "GROUP":
				kind = sspm.MemberGroup
			case "CUSTOMER", "EXTERNAL":
				continue // the whole domain, or an address outside it: no account to link
			}
			if m.Id == "" {
				continue
			}
			res.Page.GroupMembers = append(res.Page.GroupMembers, sspm.GroupMember{GroupExternalID: g.Id,
				MemberExternalID: m.Id, MemberKind: kind, Role: strings.ToLower(m.Role)})
		}
		if mp.NextPageToken != "" {
			cur.Members = mp.NextPageToken
			continue
		}
		cur.Index, cur.Members = cur.Index+1, ""
	}
	if cur.NoMembers {
		res.Unavailable = append(res.Unavailable, sspm.EntityGroupMembers)
	}
	if page.NextPageToken != "" {
		res.Next = encodeCursor(groupsCursor{Page: page.NextPageToken, NoMembers: cur.NoMembers})
	}
	return res, nil
}
