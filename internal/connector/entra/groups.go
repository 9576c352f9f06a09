package entra

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

const groupSelect = "id,displayName,description,mail,mailEnabled,securityEnabled,groupTypes,isAssignableToRole"

// group is the part of a Graph group the connector maps.
type group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	// MembersDelta is, in a groups delta round, the members added (and, with @removed, removed) since the
	// previous round.
	MembersDelta []object `json:"members@delta"`
}

func (s *Source) groupLists() []listing {
	return []listing{{
		op: "list groups", first: "/groups?$select=" + groupSelect + "&$top=999",
		forbidden: []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers},
		emit: func(item json.RawMessage, o object, p *sspm.Page) error {
			g, err := mapGroup(item)
			p.Groups = append(p.Groups, g)
			return err
		},
		children: []child{{
			op:   "list group members",
			link: func(id string) string { return "/groups/" + url.PathEscape(id) + "/members?$select=id&$top=999" },
			// Members of role-assignable groups also make their accounts admins: without them the accounts'
			// admin flags are unknown (admins.go), so the accounts are kept too.
			forbidden: []sspm.Entity{sspm.EntityGroupMembers},
			emit: func(groupID string, _ json.RawMessage, o object, p *sspm.Page) error {
				if id, kind, ok := principal(o.Type, o.ID); ok {
					p.GroupMembers = append(p.GroupMembers, sspm.GroupMember{GroupExternalID: groupID,
						MemberExternalID: id, MemberKind: kind, Role: "member"})
				}
				return nil
			},
		}},
	}}
}

func mapGroup(item json.RawMessage) (sspm.Group, error) {
	var g group
	if err := json.Unmarshal(item, &g); err != nil || g.ID == "" {
		return sspm.Group{}, &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list groups: a group without an id"}
	}
	raw := item
	if len(g.MembersDelta) > 0 { // the group's row keeps its properties, not a round's membership changes
		var m map[string]json.RawMessage
		if json.Unmarshal(item, &m) == nil {
			delete(m, "members@delta")
			raw, _ = json.Marshal(m)
		}
	}
	return sspm.Group{ExternalID: g.ID, Kind: "group", Name: g.DisplayName, Description: g.Description, Raw: raw}, nil
}

// groupsStep reads groups with their direct members: whole, or the groups delta between full enumerations.
func (s *Source) groupsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur walk
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	cur, planned := s.plan(cur)
	if cur.Delta != nil && cur.Delta.Mode == "delta" {
		return s.deltaStep(ctx, cur, s.groupsDelta())
	}
	cur, msg, err := s.startFull(ctx, cur, s.groupsDelta())
	if err != nil {
		return sspm.StepResult{}, err
	}
	res, cur, done, err := s.walkStep(ctx, s.groupLists(), cur)
	if err != nil {
		return sspm.StepResult{}, err
	}
	res.Message = joinMessages(joinMessages(planned, msg), res.Message)
	if done {
		res.Watermark = endFull(cur)
		return res, nil
	}
	res.Next = encodeCursor(cur)
	return res, nil
}

// groupsDelta is the groups stage's delta: changed groups upserted with the members members@delta adds, the
// memberships it marks @removed and the groups the delta marks @removed expired at once (sspm.Page removals).
func (s *Source) groupsDelta() deltaSpec {
	return deltaSpec{what: "groups", latest: "/groups/delta?$select=" + groupSelect + ",members&$deltatoken=latest",
		entities: []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers},
		emit: func(item json.RawMessage, o object, p *sspm.Page) error {
			if o.Removed != nil { // deleted ("changed": restorable for 30 days; "deleted": for good): no longer in effect
				p.RemovedGroups = append(p.RemovedGroups, o.ID)
				return nil
			}
			g, err := mapGroup(item)
			if err != nil {
				return err
			}
			var full group
			_ = json.Unmarshal(item, &full)
			if len(full.MembersDelta) == 0 || g.Name != "" { // a later part of a large group's members carries only members@delta
				p.Groups = append(p.Groups, g)
			}
			for _, m := range full.MembersDelta {
				id, kind, ok := principal(m.Type, m.ID)
				switch {
				case !ok:
				case m.Removed != nil:
					p.RemovedMembers = append(p.RemovedMembers, sspm.GroupMember{GroupExternalID: g.ExternalID,
						MemberExternalID: id, MemberKind: kind})
				default:
					p.GroupMembers = append(p.GroupMembers, sspm.GroupMember{GroupExternalID: g.ExternalID,
						MemberExternalID: id, MemberKind: kind, Role: "member"})
				}
			}
			return nil
		}}
}
