package google

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

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

// groupsPerStep bounds the groups whose members a step reads; memberReaders read them at once.
const (
	groupsPerStep = 50
	memberReaders = 4
)

// membersResult is one group's members, or the error that stopped reading them.
type membersResult struct {
	members []sspm.GroupMember
	err     error
}

// readMembers reads every page of each group's direct members, memberReaders groups at a time; results are in
// the order of ids. firstPage is the page token of the first group's listing ("" for its start).
func (s *Source) readMembers(ctx context.Context, ids []string, firstPage string) []membersResult {
	out := make([]membersResult, len(ids))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(memberReaders, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				token := ""
				if i == 0 {
					token = firstPage
				}
				out[i] = s.groupMembers(ctx, ids[i], token)
			}
		}()
	}
	for i := range ids {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

// groupMembers reads one group's direct members from the page token on (a nested group is a member of kind
// group; CUSTOMER and EXTERNAL members have no account and are left out).
func (s *Source) groupMembers(ctx context.Context, groupID, token string) membersResult {
	var r membersResult
	for {
		mc := s.c.dir.Members.List(groupID).MaxResults(s.pageSize(200)).Context(ctx)
		if token != "" {
			mc = mc.PageToken(token)
		}
		mp, err := mc.Do()
		if err != nil {
			return membersResult{err: err}
		}
		for _, m := range mp.Members {
			kind := sspm.MemberAccount
			switch m.Type {
			case "GROUP":
				kind = sspm.MemberGroup
			case "CUSTOMER", "EXTERNAL":
				continue
			}
			if m.Id == "" {
				continue
			}
			r.members = append(r.members, sspm.GroupMember{GroupExternalID: groupID, MemberExternalID: m.Id, MemberKind: kind,
				Role: strings.ToLower(m.Role)})
		}
		if mp.NextPageToken == "" {
			return r
		}
		token = mp.NextPageToken
	}
}

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
	// Members of up to groupsPerStep groups, read by memberReaders at once (the transport paces them together).
	if !cur.NoMembers && cur.Index < len(page.Groups) {
		batch := page.Groups[cur.Index:min(len(page.Groups), cur.Index+groupsPerStep)]
		ids := make([]string, len(batch))
		for i, g := range batch {
			ids[i] = g.Id
		}
		results := s.readMembers(ctx, ids, cur.Members)
	read:
		for _, r := range results {
			if r.err != nil {
				err := s.c.apiError(ctx, "list group members", r.err)
				switch {
				case forbiddenErr(err):
					cur.NoMembers = true
					res.Message = err.Error()
					break read
				case statusOf(err) == 404: // deleted since listed
					continue
				default:
					return res, err
				}
			}
			res.Page.GroupMembers = append(res.Page.GroupMembers, r.members...)
		}
		cur.Index, cur.Members = cur.Index+len(batch), ""
		if cur.Index < len(page.Groups) && !cur.NoMembers {
			res.Next = encodeCursor(cur)
			return res, nil
		}
	}
	if cur.NoMembers {
		res.Unavailable = append(res.Unavailable, sspm.EntityGroupMembers)
	}
	if page.NextPageToken != "" {
		res.Next = encodeCursor(groupsCursor{Page: page.NextPageToken, NoMembers: cur.NoMembers})
	}
	return res, nil
}
