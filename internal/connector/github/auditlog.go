package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The tail reads the organization audit log (docs/connectors/github.md#what-it-reads; GitHub Enterprise Cloud) oldest first:
// GET /orgs/{org}/audit-log?phrase=created:>=<since>&include=web&order=asc&per_page=100, then the Link header's
// after cursor while pages keep coming. Once caught up, the next read starts auditOverlap before the newest
// @timestamp stored and the store drops what it already holds (by _document_id), so entries indexed late are
// still read. An audit log the organization's plan or the credential cannot read (403, 404) ends the read with
// an error wrapping ErrAuditLogUnavailable and sspm.ErrStreamUnavailable: the tail lane records the stream as
// unavailable with the reason (the connector's health shows it; it is not an error) and tries again only rarely,
// the AWS tail state machine ends the stream instead of failing, and nothing else is affected. A rate limit that
// asks for a wait beyond the step's budget ends the read with a *ratelimit.WaitError: the cursor stays and the
// stream is read again after the reset.

// StreamAuditLog is the tail's stream.
const StreamAuditLog = "audit_log"

const (
	auditOverlap  = 10 * time.Minute
	auditBackfill = 24 * time.Hour // the first read of a new connector
)

// ErrAuditLogUnavailable: the organization's audit log cannot be read with this credential or on this plan.
var ErrAuditLogUnavailable = errors.New("github audit log unavailable (it needs GitHub Enterprise Cloud and an owner's read:audit_log)")

// auditCursor is the tail's cursor: the after token and the bound of the query being paged, and the newest
// @timestamp stored.
type auditCursor struct {
	After     string `json:"after,omitempty"`
	Since     string `json:"since,omitempty"`
	HighWater string `json:"hw,omitempty"`
}

// Streams lists the event streams the tail lane follows.
func (s *Source) Streams() []string { return []string{StreamAuditLog} }

// ReadStream reads one page of the audit log after cursor.
func (s *Source) ReadStream(ctx context.Context, stream, cursor string) (sspm.StreamPage, error) {
	if stream != StreamAuditLog {
		return sspm.StreamPage{}, sspm.Errorf(sspm.CodeInvalid, "github: no stream %q", stream)
	}
	var cur auditCursor
	if cursor != "" {
		if err := json.Unmarshal([]byte(cursor), &cur); err != nil {
			return sspm.StreamPage{}, sspm.Errorf(sspm.CodeInvalid, "github: bad audit log cursor")
		}
	}
	hw, _ := time.Parse(time.RFC3339Nano, cur.HighWater)
	since := s.now().Add(-auditBackfill)
	if !hw.IsZero() {
		since = hw.Add(-auditOverlap)
	}
	if t, err := time.Parse(time.RFC3339Nano, cur.Since); err == nil && cur.After != "" {
		since = t // the query being paged keeps its bound
	}
	raws, next, status, err := s.auditPage(ctx, since, cur.After)
	if cur.After != "" && (status == http.StatusBadRequest || status == http.StatusUnprocessableEntity) {
		// The cursor is no longer accepted: read again from the time part.
		if !hw.IsZero() {
			since = hw.Add(-auditOverlap)
		}
		raws, next, status, err = s.auditPage(ctx, since, "")
	}
	if status == http.StatusForbidden || status == http.StatusNotFound {
		return sspm.StreamPage{}, sspm.StreamUnavailable(fmt.Sprintf("%v (%d)", ErrAuditLogUnavailable, status), ErrAuditLogUnavailable)
	}
	if err != nil {
		if status != 0 { // a query GitHub refuses (400, 422) even without a cursor
			err = &sspm.Error{Code: sspm.CodeUnavailable, Message: fmt.Sprintf("github read the audit log: refused (%d)", status), Err: err}
		}
		return sspm.StreamPage{}, err
	}
	out := sspm.StreamPage{Events: make([]sspm.Event, 0, len(raws))}
	for _, raw := range raws {
		e, err := mapAuditEntry(raw, s.orgLoginPrefix())
		if err != nil {
			return sspm.StreamPage{}, &sspm.Error{Code: sspm.CodeUnavailable, Message: "github read the audit log: " + err.Error()}
		}
		out.Events = append(out.Events, e)
		if e.OccurredAt.After(hw) {
			hw = e.OccurredAt
		}
	}
	nc := auditCursor{}
	if !hw.IsZero() {
		nc.HighWater = hw.UTC().Format(time.RFC3339Nano)
	}
	if next != "" && len(raws) > 0 {
		nc.After, nc.Since, out.More = next, since.UTC().Format(time.RFC3339Nano), true
	}
	b, _ := json.Marshal(nc)
	out.Cursor, out.HighWater = string(b), hw
	return out, nil
}

func (s *Source) now() time.Time { return s.c.now() }

func (s *Source) orgLoginPrefix() string { return s.c.org + "/" }

// auditPage reads one page; status is the HTTP status of a failed answer (0 when it succeeded or never came).
func (s *Source) auditPage(ctx context.Context, since time.Time, after string) ([]json.RawMessage, string, int, error) {
	q := url.Values{}
	q.Set("phrase", "created:>="+since.UTC().Format("2006-01-02T15:04:05+00:00"))
	q.Set("include", "web")
	q.Set("order", "asc")
	q.Set("per_page", strconv.Itoa(s.perPage))
	if after != "" {
		q.Set("after", after)
	}
	req, err := s.c.gh.NewRequest("GET", "orgs/"+url.PathEscape(s.c.org)+"/audit-log?"+q.Encode(), nil)
	if err != nil {
		return nil, "", 0, fmt.Errorf("github audit log request: %w", err)
	}
	var raws []json.RawMessage
	resp, err := s.c.gh.Do(ctx, req, &raws)
	if err != nil {
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil {
			switch code := er.Response.StatusCode; code {
			case http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest, http.StatusUnprocessableEntity:
				return nil, "", code, err
			}
		}
		return nil, "", 0, classify("read the audit log", err)
	}
	return raws, resp.After, 0, nil
}

// auditEntry is what the mapping reads of an audit log entry.
type auditEntry struct {
	DocumentID string          `json:"_document_id"`
	Action     string          `json:"action"`
	Timestamp  json.RawMessage `json:"@timestamp"`
	CreatedAt  json.RawMessage `json:"created_at"`
	Actor      string          `json:"actor"`
	ActorID    int64           `json:"actor_id"`
	User       string          `json:"user"`
	UserID     int64           `json:"user_id"`
	Repo       string          `json:"repo"`
	RepoID     int64           `json:"repo_id"`
	Team       string          `json:"team"`
	TeamID     int64           `json:"team_id"`
	HookID     int64           `json:"hook_id"`
	Permission string          `json:"permission"`
	TokenID    int64           `json:"token_id"`
}

// auditCategories maps audit actions to our taxonomy (docs/rules-engine.md#event-policies); other actions fall back to their first
// segment. org.update_member to admin is iam.role.grant (see mapAuditEntry).
var auditCategories = map[string]string{
	"org.add_member":                       "membership.add",
	"org.remove_member":                    "membership.remove",
	"org.update_member":                    "membership.update",
	"team.add_member":                      "membership.add",
	"team.remove_member":                   "membership.remove",
	"repo.add_member":                      "assignment.add",
	"repo.update_member":                   "assignment.update",
	"repo.remove_member":                   "assignment.remove",
	"personal_access_token.access_granted": "credential.create",
	"personal_access_token.access_revoked": "credential.revoke",
	"org.disable_two_factor_requirement":   "policy.change",
	"org.enable_two_factor_requirement":    "policy.change",
	"hook.destroy":                         "audit.change",
	"hook.config_changed":                  "audit.change",
	"hook.active_changed":                  "audit.change",
}

// mapAuditEntry turns one audit log entry into a canonical event: Type is the action (the names the event
// policies match: org.update_member, repo.add_member, org.disable_two_factor_requirement, ...), the actor by id,
// targets the user (by id, display the login), the repository (display the full name) and the team (display
// its slug) it names, and Raw the entry as GitHub sent it (policies read details.permission). An entry without
// _document_id, action or time is malformed.
func mapAuditEntry(raw json.RawMessage, orgPrefix string) (sspm.Event, error) {
	var a auditEntry
	if err := json.Unmarshal(raw, &a); err != nil {
		return sspm.Event{}, errors.New("an entry that is not an audit log object")
	}
	if strings.TrimSpace(a.DocumentID) == "" || a.Action == "" {
		return sspm.Event{}, errors.New("an entry without _document_id or action")
	}
	at, ok := auditTime(a.Timestamp)
	if !ok {
		if at, ok = auditTime(a.CreatedAt); !ok {
			return sspm.Event{}, errors.New("entry " + a.DocumentID + " has no valid @timestamp")
		}
	}
	cat, ok := auditCategories[a.Action]
	if !ok {
		cat, _, _ = strings.Cut(a.Action, ".")
	}
	if a.Action == "org.update_member" && a.Permission == "admin" {
		cat = "iam.role.grant"
	}
	e := sspm.Event{ProviderEventID: a.DocumentID, Type: a.Action, Category: cat, Outcome: "success", Source: "tail",
		ActorDisplay: a.Actor, OccurredAt: at, Raw: raw}
	if a.ActorID != 0 {
		e.ActorExternalID = strconv.FormatInt(a.ActorID, 10)
	}
	if a.UserID != 0 {
		e.Targets = append(e.Targets, sspm.EventTarget{Type: "user", ExternalID: strconv.FormatInt(a.UserID, 10), DisplayName: a.User})
	}
	if a.Team != "" {
		t := sspm.EventTarget{Type: "team", DisplayName: strings.TrimPrefix(a.Team, orgPrefix)}
		if a.TeamID != 0 {
			t.ExternalID = strconv.FormatInt(a.TeamID, 10)
		}
		e.Targets = append(e.Targets, t)
	}
	if a.Repo != "" {
		t := sspm.EventTarget{Type: "repository", DisplayName: a.Repo}
		if a.RepoID != 0 {
			t.ExternalID = strconv.FormatInt(a.RepoID, 10)
		}
		e.Targets = append(e.Targets, t)
	}
	if a.HookID != 0 {
		e.Targets = append(e.Targets, sspm.EventTarget{Type: "hook", ExternalID: "hook:" + strconv.FormatInt(a.HookID, 10)})
	}
	return e, nil
}

// auditTime reads @timestamp / created_at: Unix milliseconds, or an RFC 3339 string.
func auditTime(raw json.RawMessage) (time.Time, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false
	}
	if ms, err := strconv.ParseInt(string(raw), 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms).UTC(), true
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil && f > 0 {
		return time.UnixMilli(int64(f)).UTC(), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

var _ sspm.StreamSource = (*Source)(nil)
