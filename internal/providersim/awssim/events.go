package awssim

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// CloudTrail event sources of Identity Center.
const (
	SourceSSO           = "sso.amazonaws.com"
	SourceIdentityStore = "identitystore.amazonaws.com"
	SourceSignin        = "signin.amazonaws.com"
	SourceSSODirectory  = "sso-directory.amazonaws.com"
)

// Resource is a CloudTrail event's resource (ResourceType, ResourceName).
type Resource struct{ Type, Name string }

// Event is one CloudTrail management event.
type Event struct {
	ID, Name, Source, Username string
	Time                       time.Time
	Resources                  []Resource
	// Detail is the CloudTrailEvent JSON document.
	Detail json.RawMessage
}

// eventSpec is what a new event says.
type eventSpec struct {
	name, source, actor string
	at                  time.Time
	request             map[string]any
	response            map[string]any
	resources           []Resource
	identityType        string // userIdentity.type; IAMUser when empty
}

// newEvent builds the event of spec as CloudTrail records it. Caller holds the write lock when o is shared.
func (o *org) newEvent(spec eventSpec) *Event {
	n := uint64(len(o.events)) + 1
	id := o.uuid(9, n^uint64(spec.at.UnixNano()))
	ident := spec.identityType
	if ident == "" {
		ident = "IAMUser"
	}
	detail := map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{"type": ident, "principalId": "AIDA" + id[:8], "accountId": o.ownerAccount,
			"arn": "arn:aws:iam::" + o.ownerAccount + ":user/" + spec.actor, "userName": spec.actor},
		"eventTime": spec.at.UTC().Format(time.RFC3339), "eventSource": spec.source, "eventName": spec.name,
		"awsRegion": o.region, "sourceIPAddress": fmt.Sprintf("198.51.100.%d", n%250+1), "userAgent": "aws-cli/2.15.0",
		"requestParameters": spec.request, "responseElements": spec.response, "requestID": o.uuid(10, n),
		"eventID": id, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": o.ownerAccount, "eventCategory": "Management",
	}
	raw, _ := json.Marshal(detail)
	e := &Event{ID: id, Name: spec.name, Source: spec.source, Username: spec.actor, Time: spec.at.UTC().Truncate(time.Second),
		Resources: spec.resources, Detail: raw}
	// Keep the log sorted by time (events are usually appended in order).
	i := len(o.events)
	for i > 0 && o.events[i-1].Time.After(e.Time) {
		i--
	}
	o.events = append(o.events, nil)
	copy(o.events[i+1:], o.events[i:])
	o.events[i] = e
	return e
}

// assignmentEvent is the CreateAccountAssignment (or Delete…) event of a.
func (o *org) assignmentEvent(name string, a Assignment, actor string, at time.Time) *Event {
	req := map[string]any{"instanceArn": o.instanceARN, "targetId": a.AccountID, "targetType": "AWS_ACCOUNT",
		"permissionSetArn": a.PermissionSetARN, "principalType": a.PrincipalType, "principalId": a.PrincipalID}
	resp := map[string]any{"accountAssignmentCreationStatus": map[string]any{"status": "IN_PROGRESS", "requestId": o.uuid(11, hash(a.PrincipalID+a.AccountID))}}
	return o.newEvent(eventSpec{name: name, source: SourceSSO, actor: actor, at: at, request: req, response: resp,
		resources: []Resource{{"AWS::SSO::PermissionSet", a.PermissionSetARN}, {"AWS::Account", a.AccountID}}})
}

// history fills the 90 days of CloudTrail before now: assignments made, users created in the window, and the
// users' last sign-ins.
func (o *org) history(now time.Time) {
	const day = 24 * time.Hour
	for i, a := range o.assignments {
		at := now.Add(-time.Duration(i%60)*day - time.Duration(i%1440)*time.Minute - time.Hour)
		o.assignmentEvent("CreateAccountAssignment", a, "admin", at)
	}
	for i, u := range o.users {
		if now.Sub(u.Created) < 85*day && u.Created.Before(now) {
			o.newEvent(eventSpec{name: "CreateUser", source: SourceIdentityStore, actor: "scim-provisioner", at: u.Created,
				request:  map[string]any{"identityStoreId": o.identityStoreID, "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"},
				response: map[string]any{"userId": u.ID, "identityStoreId": o.identityStoreID}})
		}
		if u.Status == "ENABLED" && i%3 == 0 {
			at := now.Add(-time.Duration(providersim.SplitMix64(uint64(i))%uint64(80*day/time.Minute)) * time.Minute)
			o.newEvent(eventSpec{name: "UserAuthentication", source: SourceSignin, actor: u.UserName, at: at, identityType: "IdentityCenterUser",
				response: map[string]any{"UserAuthentication": "Success"}})
		}
	}
}
