package okta

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The tail reads the System Log with polling requests (GET /api/v1/logs with since, ascending, no until): Okta
// returns events in the order it stored them, so an event published late is still read, and every page, even an
// empty one, carries a `next` link that is the stream's position. The cursor keeps that position; the next read
// follows it (more pages at once while they come back full, else at the next poll). The 5-minute overlap is only
// for recovery: when there is no position (an older cursor) or Okta no longer accepts it (400), the read starts
// again from the high-water mark minus the overlap, and events read twice are stored once (by uuid). The
// high-water mark is the newest `published` time seen that is not in the future, so one event stamped ahead of the
// clock cannot move it past the others.
const (
	overlap      = 5 * time.Minute
	tailBackfill = 24 * time.Hour // the first read of a new connector
)

// Streams lists the event streams the tail lane follows.
func (s *Source) Streams() []string { return []string{StreamSystemLog} }

// ReadStream reads one page of the System Log after cursor.
func (s *Source) ReadStream(ctx context.Context, stream, cursor string) (sspm.StreamPage, error) {
	if stream != StreamSystemLog {
		return sspm.StreamPage{}, sspm.Errorf(sspm.CodeInvalid, "okta: no stream %q", stream)
	}
	s.ahead.Settle()
	var cur logCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StreamPage{}, err
	}
	now := s.opts.now()
	hw, _ := time.Parse(time.RFC3339Nano, cur.HighWater)
	since := now.Add(-tailBackfill)
	if !hw.IsZero() {
		since = hw.Add(-overlap)
	}
	out := sspm.StreamPage{}
	p, h, err := s.pollLog(ctx, cur.After, since)
	out.Requests++
	if rawhttp.StatusOf(err) == 400 && cur.After != "" { // the position is no longer accepted: recover from the high-water mark
		p, h, err = s.pollLog(ctx, "", since)
		out.Requests++
	}
	if err != nil {
		return sspm.StreamPage{}, err
	}
	out.BucketLimit, _ = strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	out.Events = make([]sspm.Event, 0, len(p.items))
	for _, item := range p.items {
		e, _, err := mapEvent(item)
		if err != nil {
			return sspm.StreamPage{}, sspm.Errorf(sspm.CodeUnavailable, "okta read the system log: %v", err)
		}
		e.Source = "tail"
		out.Events = append(out.Events, e)
		if e.OccurredAt.After(hw) && !e.OccurredAt.After(now) {
			hw = e.OccurredAt
		}
	}
	next := logCursor{After: p.next}
	if next.After == "" && len(p.items) == 0 { // no new position: keep the one we have
		next.After = cur.After
	}
	if !hw.IsZero() {
		next.HighWater = hw.UTC().Format(time.RFC3339Nano)
	}
	out.More = len(p.items) >= logPageSize && p.next != ""
	out.Cursor, out.HighWater = encodeCursor(next), hw
	return out, nil
}

// pollLog makes a polling request: after the position Okta handed out, or from since when there is none.
func (s *Source) pollLog(ctx context.Context, after string, since time.Time) (rawPage, http.Header, error) {
	return s.c.listPage(ctx, "read the system log", func(ctx context.Context) (*okta.APIResponse, error) {
		r := s.c.api.SystemLogAPI.ListLogEvents(ctx).Limit(logPageSize).SortOrder("ASCENDING")
		if after != "" {
			r = r.After(after) // `after` and `since` exclude each other
		} else {
			r = r.Since(since)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
}

// logPage reads a page of the System Log: after a token, or from since (and until, for a bounded read).
func (s *Source) logPage(ctx context.Context, op, after string, since, until time.Time, filter string) (rawPage, error) {
	return s.c.list(ctx, op, func(ctx context.Context) (*okta.APIResponse, error) {
		r := s.c.api.SystemLogAPI.ListLogEvents(ctx).Limit(logPageSize).SortOrder("ASCENDING")
		if filter != "" {
			r = r.Filter(filter)
		}
		switch {
		case !until.IsZero(): // bounded: every page repeats the window, as Okta's next links do
			r = r.Since(since).Until(until)
			if after != "" {
				r = r.After(after)
			}
		case after != "":
			r = r.After(after) // polling: `after` and `since` exclude each other
		default:
			r = r.Since(since)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
}

// logEvent is what the mappings read of a System Log LogEvent.
type logEvent struct {
	UUID      string `json:"uuid"`
	Published string `json:"published"`
	EventType string `json:"eventType"`
	Actor     logRef `json:"actor"`
	Outcome   *struct {
		Result string `json:"result"`
	} `json:"outcome"`
	Target       []logRef `json:"target"`
	DebugContext *struct {
		DebugData map[string]any `json:"debugData"`
	} `json:"debugContext"`
}

type logRef struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

// mapEvent turns one System Log event into a canonical event: the one mapping the tail and event hooks share,
// so a pushed event and the same tailed event are stored once. The event must have a uuid and a published time.
func mapEvent(raw []byte) (sspm.Event, logEvent, error) {
	var le logEvent
	if err := json.Unmarshal(raw, &le); err != nil {
		return sspm.Event{}, le, errors.New("an event that is not a LogEvent object")
	}
	if strings.TrimSpace(le.UUID) == "" {
		return sspm.Event{}, le, errors.New("an event without uuid")
	}
	at, err := time.Parse(time.RFC3339Nano, le.Published)
	if err != nil {
		return sspm.Event{}, le, errors.New("event " + le.UUID + " has no valid published time")
	}
	e := sspm.Event{
		ProviderEventID: le.UUID, Type: le.EventType, Category: category(le.EventType),
		ActorExternalID: le.Actor.ID, ActorDisplay: le.Actor.DisplayName, OccurredAt: at.UTC(), Raw: json.RawMessage(raw),
		Outcome: "unknown",
	}
	if e.ActorDisplay == "" {
		e.ActorDisplay = le.Actor.AlternateID
	}
	if le.Outcome != nil {
		e.Outcome = outcome(le.Outcome.Result)
	}
	for _, t := range le.Target {
		e.Targets = append(e.Targets, sspm.EventTarget{Type: t.Type, ExternalID: t.ID, DisplayName: t.DisplayName})
	}
	return e, le, nil
}

// categories maps Okta event types to our taxonomy (docs/rules-engine.md#event-policies); the longest matching prefix wins, and an
// unknown type falls back to its first segment.
var categories = map[string]string{
	"user.account.privilege.grant":        "iam.role.grant",
	"group.privilege.grant":               "iam.role.grant",
	"user.account.privilege.revoke":       "iam.role.revoke",
	"group.privilege.revoke":              "iam.role.revoke",
	"user.mfa.factor.activate":            "auth.mfa.enroll",
	"user.mfa.factor.deactivate":          "auth.mfa.remove",
	"user.mfa.factor.reset_all":           "auth.mfa.remove",
	"user.mfa.factor.suspend":             "auth.mfa.remove",
	"user.mfa":                            "auth.mfa",
	"system.api_token.create":             "credential.create",
	"system.api_token.revoke":             "credential.revoke",
	"policy.":                             "policy.change",
	"user.lifecycle.create":               "user.create",
	"user.lifecycle.activate":             "user.activate",
	"user.lifecycle.deactivate":           "user.deactivate",
	"user.lifecycle.suspend":              "user.suspend",
	"user.lifecycle.unsuspend":            "user.reactivate",
	"user.lifecycle.reactivate":           "user.reactivate",
	"user.lifecycle.delete":               "user.delete",
	"user.account.update_profile":         "user.update",
	"app.oauth2.as.consent.grant":         "oauth.grant",
	"app.oauth2.consent.grant":            "oauth.grant",
	"app.oauth2.admin.consent.grant":      "oauth.grant",
	"app.oauth2.as.consent.revoke":        "oauth.revoke",
	"app.oauth2.consent.revoke":           "oauth.revoke",
	"group.user_membership.add":           "membership.add",
	"group.user_membership.remove":        "membership.remove",
	"application.user_membership.add":     "assignment.add",
	"group.application_assignment.add":    "assignment.add",
	"application.user_membership.remove":  "assignment.remove",
	"group.application_assignment.remove": "assignment.remove",
	"user.session.start":                  "auth.signin",
	"user.authentication":                 "auth.signin",
	"user.session.end":                    "auth.signout",
	"group.lifecycle":                     "group.change",
	"application.lifecycle":               "app.change",
	"event_hook":                          "audit.change",
	"system.log_stream":                   "audit.change",
}

func category(eventType string) string {
	best, cat := -1, ""
	for prefix, c := range categories {
		if len(prefix) > best && (eventType == prefix || strings.HasPrefix(eventType, strings.TrimSuffix(prefix, ".")+".")) {
			best, cat = len(prefix), c
		}
	}
	if cat != "" {
		return cat
	}
	first, _, _ := strings.Cut(eventType, ".")
	return first
}

// outcome normalizes outcome.result: success, failure or unknown.
func outcome(result string) string {
	switch strings.ToUpper(result) {
	case "SUCCESS", "ALLOW":
		return "success"
	case "FAILURE", "DENY":
		return "failure"
	}
	return "unknown"
}
