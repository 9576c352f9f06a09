package google

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	reports "google.golang.org/api/admin/reports/v1"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Streams are the Reports applications the tail reads, one stream each.
var Streams = []string{"login", "token", "admin", "saml"}

// Tail timing: a first read looks back tailBackfill; every poll re-reads lateWindow before the newest activity
// stored (Google reports some applications hours late) and, once per deepEvery, deepWindow.
const (
	tailBackfill = 24 * time.Hour
	lateWindow   = 6 * time.Hour
	deepWindow   = 72 * time.Hour
	deepEvery    = time.Hour
	tailPageSize = 1000
)

// tailCursor is a stream's position: the newest activity stored (its time and uniqueQualifier), when the last
// deep re-read ran, and, while a pass through a window is under way, the window and the next page.
type tailCursor struct {
	Time  string `json:"t,omitempty"`
	UQ    int64  `json:"uq,omitempty"`
	Deep  string `json:"deep,omitempty"`
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	Page  string `json:"page,omitempty"`
	// Top is the newest activity of the pass under way.
	TopTime string `json:"tt,omitempty"`
	TopUQ   int64  `json:"tuq,omitempty"`
}

// Streams lists the tail's streams: the tailed applications and, when the source knows the hook (Options.Hook),
// StreamChannels.
func (s *Source) Streams() []string {
	out := slices.Clone(Streams)
	if s.opts.Hook != nil {
		out = append(out, StreamChannels)
	}
	return out
}

// ReadStream reads one page of an application's activities. A pass reads the window from the newest stored
// activity minus the late window up to the pass's start (newest first, page by page, with the window fixed so
// that new activities cannot shift the pages); the store keeps each (application, time, uniqueQualifier) once,
// so the overlap stores nothing twice. The cursor moves to the newest activity once the pass is through.
func (s *Source) ReadStream(ctx context.Context, stream, cursor string) (sspm.StreamPage, error) {
	if stream == StreamChannels && s.opts.Hook != nil {
		return s.readChannels(ctx, cursor)
	}
	if !slices.Contains(Streams, stream) {
		return sspm.StreamPage{}, sspm.Errorf(sspm.CodeInvalid, "google: no stream %q", stream)
	}
	var cur tailCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StreamPage{}, err
	}
	now := s.opts.now().UTC()
	if cur.Start == "" { // a new pass
		since := now.Add(-tailBackfill)
		if hw, err := time.Parse(time.RFC3339Nano, cur.Time); err == nil {
			since = hw.Add(-lateWindow)
			if deep, err := time.Parse(time.RFC3339Nano, cur.Deep); err != nil || now.Sub(deep) >= deepEvery {
				since, cur.Deep = hw.Add(-deepWindow), now.Format(time.RFC3339Nano)
			}
		} else {
			cur.Deep = now.Format(time.RFC3339Nano)
		}
		cur.Start, cur.End, cur.Page, cur.TopTime, cur.TopUQ = since.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), "", "", 0
	}
	call := s.c.rep.Activities.List("all", stream).StartTime(cur.Start).EndTime(cur.End).MaxResults(s.pageSize(tailPageSize)).Context(ctx)
	if cur.Page != "" {
		call = call.PageToken(cur.Page)
	}
	page, err := call.Do()
	out := sspm.StreamPage{Requests: 1, BucketLimit: queriesPerMinute}
	if err != nil {
		err = s.c.apiError(ctx, "list "+stream+" activities", err)
		if forbiddenErr(err) {
			return out, sspm.StreamUnavailable(err.Error(), err)
		}
		return out, err
	}
	for _, a := range page.Items {
		evs, err := mapActivity(a)
		if err != nil {
			return out, err
		}
		for i := range evs {
			evs[i].Source = "tail"
		}
		out.Events = append(out.Events, evs...)
		if a.Id != nil && newerKey(a.Id.Time, a.Id.UniqueQualifier, cur.TopTime, cur.TopUQ) {
			cur.TopTime, cur.TopUQ = a.Id.Time, a.Id.UniqueQualifier
		}
	}
	if page.NextPageToken != "" {
		cur.Page = page.NextPageToken
		out.More = true
	} else { // the pass is through: the cursor moves to the newest activity seen
		if cur.TopTime != "" && newerKey(cur.TopTime, cur.TopUQ, cur.Time, cur.UQ) {
			cur.Time, cur.UQ = cur.TopTime, cur.TopUQ
		}
		cur.Start, cur.End, cur.Page, cur.TopTime, cur.TopUQ = "", "", "", "", 0
	}
	if hw, err := time.Parse(time.RFC3339Nano, cur.Time); err == nil {
		out.HighWater = hw
	}
	out.Cursor = encodeCursor(cur)
	return out, nil
}

// newerKey orders activity keys by time, then by uniqueQualifier (an empty key is the oldest).
func newerKey(t string, uq int64, thanT string, thanUQ int64) bool {
	if thanT == "" {
		return t != ""
	}
	a, errA := time.Parse(time.RFC3339Nano, t)
	b, errB := time.Parse(time.RFC3339Nano, thanT)
	if errA != nil || errB != nil {
		return false
	}
	if !a.Equal(b) {
		return a.After(b)
	}
	return uq > thanUQ
}

// categories maps Reports event names to the canonical categories (docs/rules-engine.md#event-policies).
var categories = map[string]string{
	"ASSIGN_ROLE": "iam.role.grant", "GRANT_ADMIN_PRIVILEGE": "iam.role.grant", "GRANT_DELEGATED_ADMIN_PRIVILEGES": "iam.role.grant",
	"UNASSIGN_ROLE": "iam.role.revoke", "REVOKE_ADMIN_PRIVILEGE": "iam.role.revoke",
	"SUSPEND_USER": "user.suspend", "UNSUSPEND_USER": "user.reactivate", "CREATE_USER": "user.create", "DELETE_USER": "user.delete",
	"ADD_GROUP_MEMBER": "membership.add", "REMOVE_GROUP_MEMBER": "membership.remove",
	"CHANGE_APPLICATION_SETTING": "policy.change", "CHANGE_PASSWORD_MIN_LENGTH": "policy.change", "ENFORCE_STRONG_AUTHENTICATION": "policy.change",
	"login_success": "auth.signin", "login_failure": "auth.signin", "suspicious_login": "auth.signin",
	"2sv_disable": "auth.mfa.remove", "2sv_enroll": "auth.mfa.enroll",
	"authorize": "oauth.grant", "revoke": "oauth.revoke",
}

// mapActivity turns an activity into canonical events, one per event it holds. The provider event id is
// "<application>/<time>/<uniqueQualifier>" (with "#<n>" for an activity's later events).
func mapActivity(a *reports.Activity) ([]sspm.Event, error) {
	if a.Id == nil || a.Id.Time == "" || a.Id.UniqueQualifier == 0 && a.Id.ApplicationName == "" {
		return nil, sspm.Errorf(sspm.CodeUnavailable, "google list activities: an activity without id")
	}
	at, err := time.Parse(time.RFC3339Nano, a.Id.Time)
	if err != nil {
		return nil, sspm.Errorf(sspm.CodeUnavailable, "google list activities: an activity time %q", a.Id.Time)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	key := activityKey(a)
	var out []sspm.Event
	for i, ev := range a.Events {
		e := sspm.Event{ProviderEventID: key, Type: ev.Name, OccurredAt: at.UTC(), Raw: raw, Outcome: "success"}
		if i > 0 {
			e.ProviderEventID += "#" + itoa(i)
		}
		e.Category = categories[ev.Name]
		if e.Category == "" && a.Id.ApplicationName == "saml" && strings.HasPrefix(ev.Name, "login_") {
			e.Category = "auth.sso"
		}
		if strings.HasSuffix(ev.Name, "_failure") {
			e.Outcome = "failure"
		}
		if a.Actor != nil {
			e.ActorExternalID, e.ActorDisplay = a.Actor.ProfileId, a.Actor.Email
		}
		e.Targets = targetsOf(a, ev)
		out = append(out, e)
	}
	return out, nil
}

func activityKey(a *reports.Activity) string {
	return a.Id.ApplicationName + "/" + a.Id.Time + "/" + itoa64(a.Id.UniqueQualifier)
}

// targetsOf names what an event touched: the user, group, role or OAuth client in its parameters; for sign-ins
// the actor.
func targetsOf(a *reports.Activity, ev *reports.ActivityEvents) []sspm.EventTarget {
	var out []sspm.EventTarget
	params := map[string]string{}
	var scopes []string
	for _, p := range ev.Parameters {
		params[p.Name] = p.Value
		if p.Name == "scope" {
			scopes = append(scopes, p.MultiValue...)
		}
	}
	if v := params["USER_EMAIL"]; v != "" {
		out = append(out, sspm.EventTarget{Type: "user", ExternalID: strings.ToLower(v), DisplayName: v})
	}
	if v := params["GROUP_EMAIL"]; v != "" {
		out = append(out, sspm.EventTarget{Type: "group", ExternalID: strings.ToLower(v), DisplayName: v})
	}
	if v := params["ROLE_NAME"]; v != "" {
		display := v
		if v == superAdminRole {
			display = "Super Admin (" + v + ")"
		}
		out = append(out, sspm.EventTarget{Type: "role", ExternalID: v, DisplayName: display})
	}
	if ev.Name == "GRANT_ADMIN_PRIVILEGE" { // making a user super admin
		out = append(out, sspm.EventTarget{Type: "role", ExternalID: superAdminRole, DisplayName: "Super Admin (" + superAdminRole + ")"})
	}
	if v := params["client_id"]; v != "" {
		out = append(out, sspm.EventTarget{Type: "oauth_client", ExternalID: v, DisplayName: params["app_name"]})
	}
	for _, sc := range scopes {
		out = append(out, sspm.EventTarget{Type: "scope", ExternalID: sc, DisplayName: sc})
	}
	if v := params["application_name"]; v != "" {
		out = append(out, sspm.EventTarget{Type: "app", ExternalID: v, DisplayName: v})
	}
	if len(out) == 0 && a.Actor != nil && a.Actor.ProfileId != "" {
		out = append(out, sspm.EventTarget{Type: "user", ExternalID: a.Actor.ProfileId, DisplayName: a.Actor.Email})
	}
	return out
}

// superAdminRole is the name Google gives the super admin role.
const superAdminRole = "_SEED_ADMIN_ROLE"

func itoa(n int) string { return itoa64(int64(n)) }

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
