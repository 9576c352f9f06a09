package awssim

import (
	"net/http"
	"slices"
)

// Identity Store listings answer at most 100 items a page (MaxResults 1–100).
const identityStoreMax = 100

type jsonExternalID struct {
	Issuer string `json:"Issuer"`
	ID     string `json:"Id"`
}

type jsonEmail struct {
	Value   string `json:"Value"`
	Type    string `json:"Type"`
	Primary bool   `json:"Primary"`
}

func (s *Server) identityStore(c *call, op string) (any, *apiError) {
	var in struct {
		IdentityStoreID string `json:"IdentityStoreId"`
		GroupID         string `json:"GroupId"`
		UserID          string `json:"UserId"`
		MemberID        *struct {
			UserID string `json:"UserId"`
		} `json:"MemberId"`
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	if in.IdentityStoreID == "" {
		return nil, validation("1 validation error detected: Value null at 'identityStoreId' failed to satisfy constraint: Member must not be null")
	}
	if in.IdentityStoreID != o.identityStoreID {
		return nil, &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException", msg: "Identity store " + in.IdentityStoreID + " does not exist"}
	}
	switch op {
	case "ListUsers":
		p, err := s.paginate(c, len(o.users), identityStoreMax, identityStoreMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		users := make([]map[string]any, 0, p.end-p.start)
		for _, u := range o.users[p.start:p.end] {
			users = append(users, o.userJSON(u))
		}
		return withToken(map[string]any{"Users": users}, p.next), nil
	case "DescribeUser":
		u, ok := o.user(in.UserID)
		if !ok {
			return nil, notFound("USER not found")
		}
		return o.userJSON(u), nil
	case "ListGroups":
		p, err := s.paginate(c, len(o.groups), identityStoreMax, identityStoreMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		groups := make([]map[string]any, 0, p.end-p.start)
		for _, g := range o.groups[p.start:p.end] {
			groups = append(groups, o.groupJSON(g))
		}
		return withToken(map[string]any{"Groups": groups}, p.next), nil
	case "DescribeGroup":
		g, ok := o.group(in.GroupID)
		if !ok {
			return nil, notFound("GROUP not found")
		}
		return o.groupJSON(g), nil
	case "ListGroupMemberships":
		g, ok := o.group(in.GroupID)
		if !ok {
			return nil, notFound("GROUP not found")
		}
		p, err := s.paginate(c, len(g.Members), identityStoreMax, identityStoreMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		ms := make([]map[string]any, 0, p.end-p.start)
		for _, u := range g.Members[p.start:p.end] {
			ms = append(ms, o.membershipJSON(g.ID, u))
		}
		return withToken(map[string]any{"GroupMemberships": ms}, p.next), nil
	case "ListGroupMembershipsForMember":
		if in.MemberID == nil || in.MemberID.UserID == "" {
			return nil, validation("1 validation error detected: Value null at 'memberId' failed to satisfy constraint: Member must not be null")
		}
		if _, ok := o.user(in.MemberID.UserID); !ok {
			return nil, notFound("USER not found")
		}
		var groups []string
		for _, g := range o.groups {
			if slices.Contains(g.Members, in.MemberID.UserID) {
				groups = append(groups, g.ID)
			}
		}
		p, err := s.paginate(c, len(groups), identityStoreMax, identityStoreMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		ms := make([]map[string]any, 0, p.end-p.start)
		for _, g := range groups[p.start:p.end] {
			ms = append(ms, o.membershipJSON(g, in.MemberID.UserID))
		}
		return withToken(map[string]any{"GroupMemberships": ms}, p.next), nil
	}
	return nil, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: "unknown operation " + c.op}
}

func withToken(m map[string]any, next string) map[string]any {
	if next != "" {
		m["NextToken"] = next
	}
	return m
}

func externalIDs(xs []ExternalID) []jsonExternalID {
	out := make([]jsonExternalID, 0, len(xs))
	for _, x := range xs {
		out = append(out, jsonExternalID(x))
	}
	return out
}

func (o *org) userJSON(u *User) map[string]any {
	m := map[string]any{
		"IdentityStoreId": o.identityStoreID, "UserId": u.ID, "UserName": u.UserName, "DisplayName": u.DisplayName,
		"Name":       map[string]string{"GivenName": u.GivenName, "FamilyName": u.FamilyName, "Formatted": u.GivenName + " " + u.FamilyName},
		"UserStatus": u.Status, "UserType": u.UserType, "CreatedAt": epoch(u.Created), "UpdatedAt": epoch(u.Updated),
		"CreatedBy": "arn:aws:iam::" + o.ownerAccount + ":root",
	}
	if u.Title != "" {
		m["Title"] = u.Title
	}
	if u.Email != "" {
		m["Emails"] = []jsonEmail{{Value: u.Email, Type: "work", Primary: true}}
	}
	if len(u.ExternalIDs) > 0 {
		m["ExternalIds"] = externalIDs(u.ExternalIDs)
	}
	return m
}

func (o *org) groupJSON(g *Group) map[string]any {
	m := map[string]any{"IdentityStoreId": o.identityStoreID, "GroupId": g.ID, "DisplayName": g.Name}
	if g.Description != "" {
		m["Description"] = g.Description
	}
	if len(g.ExternalIDs) > 0 {
		m["ExternalIds"] = externalIDs(g.ExternalIDs)
	}
	return m
}

func (o *org) membershipJSON(group, user string) map[string]any {
	return map[string]any{"IdentityStoreId": o.identityStoreID, "MembershipId": o.membershipID(group, user), "GroupId": group,
		"MemberId": map[string]string{"UserId": user}}
}
