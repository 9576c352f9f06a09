package aws

import (
	"context"
	"encoding/json"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// stepRows bounds the rows a groups step holds: a page of groups whose assignments expand to many grants is
// cut into several steps (the page is kept in memory meanwhile, or read again by a new Source).
const stepRows = 20000

// groupsCursor is the groups stage's place: the ListGroups page (its token) and the next group's index in it.
type groupsCursor struct {
	Token string `json:"t,omitempty"`
	Index int    `json:"i,omitempty"`
}

// groupsStep reads groups of a page; for each, its members and its account assignments, granted to the group
// and through it to each member. A step ends at the page's end or after about stepRows rows.
func (s *Source) groupsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var res sspm.StepResult
	var cur groupsCursor
	if cursor != "" {
		if err := json.Unmarshal([]byte(cursor), &cur); err != nil {
			return res, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: groups cursor is malformed")
		}
	}
	out, ok := s.mem.groupPages[cur.Token]
	if !ok {
		page, err := do(ctx, s.c, s.c.pace, "identitystore:ListGroups", func(ctx context.Context) (*identitystore.ListGroupsOutput, error) {
			return s.c.is.ListGroups(ctx, &identitystore.ListGroupsInput{IdentityStoreId: &s.storeID, MaxResults: s.pageSize(100), NextToken: optToken(cur.Token)}, s.c.isOpt(ctx))
		})
		if isForbidden(err) {
			unavailable(&res, sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants)
			res.Message = err.Error()
			return res, nil
		}
		if err != nil {
			return res, err
		}
		out = page
		s.mem.groupPages = map[string]*identitystore.ListGroupsOutput{cur.Token: page} // only the page under way
	}
	i := cur.Index
	for ; i < len(out.Groups) && (i == cur.Index || res.Page.Len() < stepRows); i++ {
		g := out.Groups[i]
		id := sdkaws.ToString(g.GroupId)
		if id == "" {
			return sspm.StepResult{}, sspm.Errorf(sspm.CodeUnavailable, "aws_identity_center identitystore:ListGroups: a group without GroupId")
		}
		raw, _ := json.Marshal(map[string]any{"group_id": id, "display_name": sdkaws.ToString(g.DisplayName),
			"description": sdkaws.ToString(g.Description), "external_ids": externalIDs(g.ExternalIds)})
		res.Page.Groups = append(res.Page.Groups, sspm.Group{ExternalID: id, Kind: "group", Name: sdkaws.ToString(g.DisplayName),
			Description: sdkaws.ToString(g.Description), Raw: raw})
		members, err := s.groupMembers(ctx, id)
		if isForbidden(err) {
			unavailable(&res, sspm.EntityGroupMembers, sspm.EntityGrants)
			res.Message = err.Error()
		} else if err != nil {
			return sspm.StepResult{}, err
		}
		for _, m := range members {
			res.Page.GroupMembers = append(res.Page.GroupMembers, sspm.GroupMember{GroupExternalID: id, MemberExternalID: m, MemberKind: sspm.MemberAccount, Role: "member"})
		}
		assigned, err := s.principalAssignments(ctx, ssotypes.PrincipalTypeGroup, id)
		if isForbidden(err) {
			unavailable(&res, sspm.EntityGrants)
			res.Message = err.Error()
			continue
		}
		if err != nil {
			return sspm.StepResult{}, err
		}
		admin := false
		for _, a := range assigned {
			arn, acc := sdkaws.ToString(a.PermissionSetArn), sdkaws.ToString(a.AccountId)
			ps, err := s.describe(ctx, arn)
			if isForbidden(err) {
				unavailable(&res, sspm.EntityGrants)
				res.Message = err.Error()
				continue
			}
			if err != nil {
				return sspm.StepResult{}, err
			}
			admin = admin || s.isAdminGrade(ctx, arn)
			res.Page.Grants = append(res.Page.Grants, sspm.Grant{PrincipalExternalID: id, PrincipalKind: sspm.MemberGroup,
				ResourceExternalID: acc, Permission: ps.Name, Via: ViaDirect})
			for _, m := range members {
				res.Page.Grants = append(res.Page.Grants, sspm.Grant{PrincipalExternalID: m, PrincipalKind: sspm.MemberAccount,
					ResourceExternalID: acc, Permission: ps.Name, Via: ViaGroup, ViaExternalID: id})
			}
		}
		if admin && members != nil {
			s.mem.members[id] = members
		}
	}
	switch next := sdkaws.ToString(out.NextToken); {
	case i < len(out.Groups):
		res.Next = encodeCursor(groupsCursor{Token: cur.Token, Index: i})
	case next != "" && next != cur.Token:
		res.Next = encodeCursor(groupsCursor{Token: next})
	}
	return res, nil
}

// groupMembers lists a group's member user ids (every page); the cache holds admin groups' members.
func (s *Source) groupMembers(ctx context.Context, group string) ([]string, error) {
	if m, ok := s.mem.members[group]; ok {
		return m, nil
	}
	members := []string{}
	var token *string
	for {
		out, err := do(ctx, s.c, s.c.pace, "identitystore:ListGroupMemberships", func(ctx context.Context) (*identitystore.ListGroupMembershipsOutput, error) {
			return s.c.is.ListGroupMemberships(ctx, &identitystore.ListGroupMembershipsInput{IdentityStoreId: &s.storeID, GroupId: &group,
				MaxResults: s.pageSize(100), NextToken: token}, s.c.isOpt(ctx))
		})
		if err != nil {
			return nil, err
		}
		for _, m := range out.GroupMemberships {
			if u, ok := m.MemberId.(*istypes.MemberIdMemberUserId); ok && u.Value != "" {
				members = append(members, u.Value)
			}
		}
		if token = out.NextToken; sdkaws.ToString(token) == "" {
			return members, nil
		}
	}
}

type externalID struct {
	Issuer string `json:"issuer"`
	ID     string `json:"id"`
}

func externalIDs(xs []istypes.ExternalId) []externalID {
	out := make([]externalID, 0, len(xs))
	for _, x := range xs {
		out = append(out, externalID{Issuer: sdkaws.ToString(x.Issuer), ID: sdkaws.ToString(x.Id)})
	}
	return out
}
