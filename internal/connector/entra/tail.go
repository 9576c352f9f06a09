package entra

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The tail reads Entra's audit logs (providers.md §3.4): directoryAudits and, where the tenant has Entra ID P1,
// signIns. Graph lists both newest first and offers no forward position, so each read asks for everything since
// the high-water mark minus a 15-minute overlap ($filter on the time, ge), follows its nextLinks to the end (a read
// that spans several polls keeps its link in the cursor), and moves the high-water mark to the newest time read
// only when the read is complete. Events read twice are stored once (by id). The reports are limited to 5
// requests per 10 s per app and tenant: their own rate-limit bucket, 429s waited out.

// Streams of the tail lane.
const (
	StreamDirectoryAudits = "directory_audits"
	StreamSignIns         = "sign_ins"
)

const (
	tailOverlap = 15 * time.Minute
	// The first read of a new connector goes back a week of directory audits (the retention without P1) and a day
	// of sign-ins (a large tenant's 30 days of sign-ins would take hours at the reports limit).
	auditBackfill  = 7 * 24 * time.Hour
	signInBackfill = 24 * time.Hour
	reportsLimit   = 30 // requests per minute the reports bucket allows (5 per 10 s)
)

// tailCursor is a stream's position: the high-water mark, and a read under way (its next link, the time it reads
// from, and the newest time it has seen).
type tailCursor struct {
	HighWater string `json:"hw,omitempty"`
	Link      string `json:"l,omitempty"`
	Newest    string `json:"n,omitempty"`
}

// Streams lists the event streams the tail lane follows.
func (s *Source) Streams() []string { return []string{StreamDirectoryAudits, StreamSignIns} }

// ReadStream reads one page of a stream after cursor.
func (s *Source) ReadStream(ctx context.Context, stream, cursor string) (sspm.StreamPage, error) {
	var path, timeProp string
	var backfill time.Duration
	var mapper func(json.RawMessage) (sspm.Event, error)
	switch stream {
	case StreamDirectoryAudits:
		path, timeProp, mapper, backfill = "/auditLogs/directoryAudits", "activityDateTime", mapAudit, auditBackfill
	case StreamSignIns:
		path, timeProp, mapper, backfill = "/auditLogs/signIns", "createdDateTime", mapSignIn, signInBackfill
	default:
		return sspm.StreamPage{}, sspm.Errorf(sspm.CodeInvalid, "entra: no stream %q", stream)
	}
	var cur tailCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StreamPage{}, err
	}
	now := s.opts.now()
	hw, _ := time.Parse(time.RFC3339Nano, cur.HighWater)
	newest, _ := time.Parse(time.RFC3339Nano, cur.Newest)
	link := cur.Link
	if link == "" {
		since := now.Add(-backfill)
		if !hw.IsZero() {
			since = hw.Add(-tailOverlap)
		}
		link = path + "?$filter=" + url.QueryEscape(timeProp+" ge "+since.UTC().Format("2006-01-02T15:04:05Z")) + "&$top=1000"
	}
	out := sspm.StreamPage{BucketLimit: reportsLimit}
	p, err := s.readPage(ctx, "read "+strings.ReplaceAll(stream, "_", " "), link)
	out.Requests++
	switch {
	case nonPremium(err) || (isForbidden(err) && stream == StreamSignIns):
		return sspm.StreamPage{}, sspm.StreamUnavailable("Entra sign-in logs need Entra ID P1 or P2 and AuditLog.Read.All: "+err.Error(), err)
	case isForbidden(err):
		return sspm.StreamPage{}, sspm.StreamUnavailable("the app may not read the directory audit log (grant AuditLog.Read.All): "+err.Error(), err)
	case cur.Link != "" && sspm.ErrorCode(err) != sspm.CodeUnavailable && err != nil && !isWait(err):
		// The read's link is no longer accepted: start again from the high-water mark (the next poll).
		out.Cursor, out.HighWater, out.More = encodeCursor(tailCursor{HighWater: cur.HighWater}), hw, true
		return out, nil
	case err != nil:
		return sspm.StreamPage{}, err
	}
	for _, item := range p.Value {
		e, err := mapper(item)
		if err != nil {
			return sspm.StreamPage{}, err
		}
		e.Source = "tail"
		out.Events = append(out.Events, e)
		if e.OccurredAt.After(newest) && !e.OccurredAt.After(now) {
			newest = e.OccurredAt
		}
	}
	next := tailCursor{HighWater: cur.HighWater}
	if p.Next != "" {
		next.Link, out.More = p.Next, true
		if !newest.IsZero() {
			next.Newest = newest.UTC().Format(time.RFC3339Nano)
		}
	} else if newest.After(hw) {
		hw = newest
		next.HighWater = hw.UTC().Format(time.RFC3339Nano)
	}
	out.Cursor, out.HighWater = encodeCursor(next), hw
	return out, nil
}

func isWait(err error) bool {
	_, ok := sspm.AsWait(err)
	return ok
}

// directoryAudit is what the mapping reads of a directoryAudit.
type directoryAudit struct {
	ID          string `json:"id"`
	At          string `json:"activityDateTime"`
	Activity    string `json:"activityDisplayName"`
	Category    string `json:"category"`
	Result      string `json:"result"`
	InitiatedBy struct {
		User *struct {
			ID  string `json:"id"`
			UPN string `json:"userPrincipalName"`
		} `json:"user"`
		App *struct {
			AppID              string `json:"appId"`
			DisplayName        string `json:"displayName"`
			ServicePrincipalID string `json:"servicePrincipalId"`
		} `json:"app"`
	} `json:"initiatedBy"`
	Targets []struct {
		ID          string `json:"id"`
		Type        string `json:"type"`
		DisplayName string `json:"displayName"`
		UPN         string `json:"userPrincipalName"`
	} `json:"targetResources"`
}

// mapAudit turns a directoryAudit into a canonical event: its type is the activityDisplayName the event policies
// name (rules.md §5.3), its category our taxonomy.
func mapAudit(raw json.RawMessage) (sspm.Event, error) {
	var a directoryAudit
	if err := json.Unmarshal(raw, &a); err != nil || a.ID == "" {
		return sspm.Event{}, sspm.Errorf(sspm.CodeUnavailable, "entra read directory audits: an entry without an id")
	}
	at, err := time.Parse(time.RFC3339Nano, a.At)
	if err != nil {
		return sspm.Event{}, sspm.Errorf(sspm.CodeUnavailable, "entra read directory audits: entry %s has no valid activityDateTime", a.ID)
	}
	e := sspm.Event{ProviderEventID: a.ID, Type: a.Activity, Category: auditCategory(a.Activity), OccurredAt: at.UTC(),
		Outcome: resultOutcome(a.Result), Raw: raw}
	switch by := a.InitiatedBy; {
	case by.User != nil && by.User.ID != "":
		e.ActorExternalID, e.ActorDisplay = by.User.ID, by.User.UPN
	case by.App != nil:
		if by.App.ServicePrincipalID != "" {
			e.ActorExternalID = spAccount(by.App.ServicePrincipalID)
		}
		e.ActorDisplay = by.App.DisplayName
	}
	for _, t := range a.Targets {
		id, display := t.ID, t.DisplayName
		if strings.EqualFold(t.Type, "ServicePrincipal") && id != "" {
			id = spAccount(id)
		}
		if display == "" {
			display = t.UPN
		}
		e.Targets = append(e.Targets, sspm.EventTarget{Type: strings.ToLower(t.Type), ExternalID: id, DisplayName: display})
	}
	return e, nil
}

// signInEntry is what the mapping reads of a signIn.
type signInEntry struct {
	ID      string `json:"id"`
	At      string `json:"createdDateTime"`
	UserID  string `json:"userId"`
	UPN     string `json:"userPrincipalName"`
	AppID   string `json:"appId"`
	AppName string `json:"appDisplayName"`
	Status  *struct {
		ErrorCode int `json:"errorCode"`
	} `json:"status"`
}

// mapSignIn turns a sign-in into a canonical event of type "Sign-in", category auth.signin, targeting the app.
func mapSignIn(raw json.RawMessage) (sspm.Event, error) {
	var si signInEntry
	if err := json.Unmarshal(raw, &si); err != nil || si.ID == "" {
		return sspm.Event{}, sspm.Errorf(sspm.CodeUnavailable, "entra read sign-ins: an entry without an id")
	}
	at, err := time.Parse(time.RFC3339Nano, si.At)
	if err != nil {
		return sspm.Event{}, sspm.Errorf(sspm.CodeUnavailable, "entra read sign-ins: entry %s has no valid createdDateTime", si.ID)
	}
	e := sspm.Event{ProviderEventID: si.ID, Type: "Sign-in", Category: "auth.signin", OccurredAt: at.UTC(), Outcome: "unknown",
		ActorExternalID: si.UserID, ActorDisplay: si.UPN, Raw: raw}
	if si.Status != nil {
		e.Outcome = "success"
		if si.Status.ErrorCode != 0 {
			e.Outcome = "failure"
		}
	}
	if si.AppID != "" {
		e.Targets = []sspm.EventTarget{{Type: "application", ExternalID: si.AppID, DisplayName: si.AppName}}
	}
	return e, nil
}

func resultOutcome(r string) string {
	switch strings.ToLower(r) {
	case "success":
		return "success"
	case "failure", "timeout":
		return "failure"
	}
	return "unknown"
}

// auditCategories maps directoryAudit activityDisplayNames to our taxonomy (rules.md §5.1); the event policies
// EV-001..EV-006 match Entra by these names (event_policies_v1.yaml) and by category.
var auditCategories = map[string]string{
	"Add member to role":                                       "iam.role.grant",
	"Add eligible member to role":                              "iam.role.grant",
	"Add member to role completed (PIM activation)":            "iam.role.grant",
	"Add scoped member to role":                                "iam.role.grant",
	"Remove member from role":                                  "iam.role.revoke",
	"Remove eligible member from role":                         "iam.role.revoke",
	"Admin deleted security info":                              "auth.mfa.remove",
	"User deleted security info":                               "auth.mfa.remove",
	"Disable Strong Authentication":                            "auth.mfa.remove",
	"Admin registered security info":                           "auth.mfa.enroll",
	"User registered security info":                            "auth.mfa.enroll",
	"Add service principal credentials":                        "credential.create",
	"Update application – Certificates and secrets management": "credential.create",
	"Remove service principal credentials":                     "credential.revoke",
	"Add conditional access policy":                            "policy.change",
	"Update conditional access policy":                         "policy.change",
	"Delete conditional access policy":                         "policy.change",
	"Update authentication methods policy":                     "policy.change",
	"Update authorization policy":                              "policy.change",
	"Update policy":                                            "policy.change",
	"Add user":                                                 "user.create",
	"Update user":                                              "user.update",
	"Delete user":                                              "user.delete",
	"Hard delete user":                                         "user.delete",
	"Disable account":                                          "user.suspend",
	"Enable account":                                           "user.reactivate",
	"Restore user":                                             "user.reactivate",
	"Consent to application":                                   "oauth.grant",
	"Add delegated permission grant":                           "oauth.grant",
	"Add app role assignment to service principal":             "oauth.grant",
	"Remove delegated permission grant":                        "oauth.revoke",
	"Remove app role assignment from service principal":        "oauth.revoke",
	"Add member to group":                                      "membership.add",
	"Remove member from group":                                 "membership.remove",
	"Add app role assignment grant to user":                    "assignment.add",
	"Remove app role assignment from user":                     "assignment.remove",
	"Add group":                                                "group.change",
	"Delete group":                                             "group.change",
	"Add application":                                          "app.change",
	"Update application":                                       "app.change",
	"Delete application":                                       "app.change",
	"Add service principal":                                    "app.change",
}

// auditCategory returns an activity's category; an unknown one falls back to "entra.audit".
func auditCategory(activity string) string {
	if c, ok := auditCategories[activity]; ok {
		return c
	}
	// Graph has used both an en dash and a hyphen in "Update application – Certificates and secrets management".
	if c, ok := auditCategories[strings.ReplaceAll(activity, " - ", " – ")]; ok {
		return c
	}
	return "entra.audit"
}
