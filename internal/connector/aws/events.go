package aws

import (
	"context"
	"encoding/json"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// trailEvent is the part of a CloudTrailEvent document the mapping reads.
type trailEvent struct {
	UserIdentity struct {
		Type        string `json:"type"`
		PrincipalID string `json:"principalId"`
		ARN         string `json:"arn"`
		UserName    string `json:"userName"`
	} `json:"userIdentity"`
	ErrorCode         string                     `json:"errorCode"`
	RequestParameters map[string]json.RawMessage `json:"requestParameters"`
	ResponseElements  map[string]json.RawMessage `json:"responseElements"`
}

// eventCategories maps event names to canonical categories.
var eventCategories = map[string]string{
	"CreateAccountAssignment": "access", "DeleteAccountAssignment": "access",
	"CreatePermissionSet": "policy.change", "UpdatePermissionSet": "policy.change", "DeletePermissionSet": "policy.change",
	"AttachManagedPolicyToPermissionSet": "policy.change", "DetachManagedPolicyFromPermissionSet": "policy.change",
	"PutInlinePolicyToPermissionSet": "policy.change", "DeleteInlinePolicyFromPermissionSet": "policy.change",
	"AttachCustomerManagedPolicyReferenceToPermissionSet": "policy.change", "DetachCustomerManagedPolicyReferenceFromPermissionSet": "policy.change",
	"PutPermissionsBoundaryToPermissionSet": "policy.change", "DeletePermissionsBoundaryFromPermissionSet": "policy.change",
	"ProvisionPermissionSet": "policy.change",
	"CreateUser":             "user.lifecycle", "UpdateUser": "user.lifecycle", "DeleteUser": "user.lifecycle",
	"CreateGroup": "group", "UpdateGroup": "group", "DeleteGroup": "group",
	"CreateGroupMembership": "membership", "DeleteGroupMembership": "membership",
	"UserAuthentication": "authentication", "CredentialChallenge": "authentication", "CredentialVerification": "authentication",
}

// event maps a CloudTrail event. Permission sets it names are joined from Identity Center (what they grant), so
// that a target's display says when a set is admin-grade: "Name (AdministratorAccess)", "Name (privileged)".
func (s *Source) event(ctx context.Context, e cttypes.Event) sspm.Event {
	name := sdkaws.ToString(e.EventName)
	raw := json.RawMessage(sdkaws.ToString(e.CloudTrailEvent))
	if !json.Valid(raw) {
		raw = nil
	}
	var te trailEvent
	_ = json.Unmarshal(raw, &te)
	cat, ok := eventCategories[name]
	if !ok {
		cat = "other"
	}
	ev := sspm.Event{ProviderEventID: sdkaws.ToString(e.EventId), Type: name, Category: cat, Outcome: "success",
		OccurredAt: e.EventTime.UTC(), Source: "tail", Raw: raw, ActorDisplay: sdkaws.ToString(e.Username)}
	ev.ActorExternalID = te.UserIdentity.PrincipalID
	if ev.ActorExternalID == "" {
		ev.ActorExternalID = ev.ActorDisplay
	}
	if te.ErrorCode != "" || strings.EqualFold(str(te.ResponseElements[name]), "Failure") {
		ev.Outcome = "failure"
	}
	req := te.RequestParameters
	add := func(kind, id, display string) {
		if id != "" {
			ev.Targets = append(ev.Targets, sspm.EventTarget{Type: kind, ExternalID: id, DisplayName: display})
		}
	}
	switch str(req["principalType"]) {
	case "USER":
		add("user", str(req["principalId"]), "")
	case "GROUP":
		add("group", str(req["principalId"]), "")
	}
	if t := str(req["targetId"]); t != "" {
		add("aws_account", t, t)
	}
	if arn := str(req["permissionSetArn"]); arn != "" {
		if cat == "policy.change" { // what the set grants changed: read it again
			delete(s.mem.permSets, arn)
		}
		add("permission_set", arn, s.permissionSetDisplay(ctx, arn))
	}
	add("user", str(req["userId"]), "")
	var member struct {
		UserID string `json:"userId"`
	}
	if m, ok := req["memberId"]; ok && json.Unmarshal(m, &member) == nil {
		add("user", member.UserID, "")
	}
	if g := str(req["groupId"]); g != "" {
		add("group", g, "")
		if name == "CreateGroupMembership" && ev.Outcome == "success" {
			ev.Targets = append(ev.Targets, s.groupAdminSets(ctx, g)...)
		}
	}
	if ev.Targets == nil && e.Username != nil && cat == "authentication" {
		add("user", ev.ActorDisplay, ev.ActorDisplay)
	}
	return ev
}

// permissionSetDisplay is a permission set's name with its admin grade; the ARN when it cannot be read (deleted).
func (s *Source) permissionSetDisplay(ctx context.Context, arn string) string {
	if err := s.instance(ctx); err != nil {
		return arn
	}
	ps, err := s.permissionSet(ctx, arn)
	if err != nil {
		return arn
	}
	switch {
	case ps.AdminGrade == GradeSuper && slicesContains(ps.AdminReasons, "managed policy AdministratorAccess"):
		return ps.Name + " (AdministratorAccess)"
	case ps.AdminGrade == GradeSuper:
		return ps.Name + " (AdministratorAccess-equivalent: inline * on *)"
	case ps.AdminGrade == GradePrivileged:
		return ps.Name + " (privileged)"
	}
	return ps.Name
}

// groupAdminSets are the admin-grade permission sets assigned to a group, as event targets: a membership added to
// such a group grants them.
func (s *Source) groupAdminSets(ctx context.Context, group string) []sspm.EventTarget {
	if err := s.instance(ctx); err != nil {
		return nil
	}
	assigned, err := s.principalAssignments(ctx, ssotypes.PrincipalTypeGroup, group)
	if err != nil {
		return nil
	}
	var out []sspm.EventTarget
	done := map[string]bool{}
	for _, a := range assigned {
		arn := sdkaws.ToString(a.PermissionSetArn)
		if done[arn] || !s.isAdminGrade(ctx, arn) {
			continue
		}
		done[arn] = true
		out = append(out, sspm.EventTarget{Type: "permission_set", ExternalID: arn, DisplayName: s.permissionSetDisplay(ctx, arn)})
	}
	return out
}

func str(raw json.RawMessage) string {
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
