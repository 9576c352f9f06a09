package datadog

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The tail reads the Audit Trail (GET /api/v2/audit/events, sort=timestamp ascending, page[limit]=1000) from the
// high-water mark minus a five-minute overlap, following meta.page.after until the query is read to its end; the
// cursor keeps the query's start and its page cursor, so a new source continues mid-query. Datadog indexes audit
// events with a delay, so every poll starts again at the high-water mark minus the overlap and reads events it
// already read; the store keeps each event once (by its id). The high-water mark is the newest timestamp read that
// is not in the future. A new connector starts 90 days back (the Audit Trail's default retention).
const (
	overlap        = 5 * time.Minute
	tailBackfill   = 90 * 24 * time.Hour
	auditPageLimit = 1000
)

// Streams lists the event streams the tail lane follows.
func (s *Source) Streams() []string { return []string{StreamAudit} }

// ReadStream reads one page of the Audit Trail after cursor.
func (s *Source) ReadStream(ctx context.Context, stream, cursor string) (sspm.StreamPage, error) {
	if stream != StreamAudit {
		return sspm.StreamPage{}, sspm.Errorf(sspm.CodeInvalid, "datadog: no stream %q", stream)
	}
	var cur auditCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StreamPage{}, err
	}
	now := s.opts.now()
	hw, _ := time.Parse(time.RFC3339Nano, cur.HighWater)
	from, err := time.Parse(time.RFC3339Nano, cur.From)
	if cur.After == "" || err != nil { // a new query
		from, cur.After = now.Add(-tailBackfill), ""
		if !hw.IsZero() {
			from = hw.Add(-overlap)
		}
	}
	body, h, err := s.c.call(ctx, "list audit events", PermAuditLogsRead, func(ctx context.Context) (*http.Response, error) {
		p := datadogV2.NewListAuditLogsOptionalParameters().WithFilterFrom(from.UTC()).
			WithSort(datadogV2.AUDITLOGSSORT_TIMESTAMP_ASCENDING).WithPageLimit(auditPageLimit)
		if cur.After != "" {
			p = p.WithPageCursor(cur.After)
		}
		_, resp, err := s.c.audit.ListAuditLogs(ctx, *p)
		return resp, err
	})
	if rawhttp.Forbidden(err) { // a state, not a failure: the health page says why, and the tail tries again later
		return sspm.StreamPage{}, sspm.StreamUnavailable("datadog Audit Trail unavailable (403): the application key lacks "+
			PermAuditLogsRead+", or the organization has no Audit Trail", err)
	}
	if err != nil {
		return sspm.StreamPage{}, err
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
		Meta struct {
			Page struct {
				After string `json:"after"`
			} `json:"page"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return sspm.StreamPage{}, sspm.Errorf(sspm.CodeUnavailable, "datadog list audit events: malformed answer")
	}
	out := sspm.StreamPage{Requests: 1, Events: make([]sspm.Event, 0, len(page.Data))}
	if limit, err := strconv.Atoi(h.Get("X-RateLimit-Limit")); err == nil {
		if period, err := strconv.Atoi(h.Get("X-RateLimit-Period")); err == nil && period > 0 {
			out.BucketLimit = limit * 60 / period
		}
	}
	for _, item := range page.Data {
		e, err := mapEvent(item)
		if err != nil {
			return sspm.StreamPage{}, err
		}
		if e.Category == CategoryRoleGrant || e.Category == CategoryRoleRevoke {
			s.markRoleTier(ctx, &e)
			s.resolveUserTarget(ctx, &e)
		}
		out.Events = append(out.Events, e)
		if e.OccurredAt.After(hw) && !e.OccurredAt.After(now) {
			hw = e.OccurredAt
		}
	}
	next := auditCursor{}
	if page.Meta.Page.After != "" && len(page.Data) > 0 {
		next.From, next.After = from.UTC().Format(time.RFC3339Nano), page.Meta.Page.After
		out.More = true
	}
	if !hw.IsZero() {
		next.HighWater = hw.UTC().Format(time.RFC3339Nano)
	}
	out.Cursor, out.HighWater = encodeCursor(next), hw
	return out, nil
}

// Canonical categories of Audit Trail events (the event policies match these for Datadog).
const (
	CategoryRoleGrant   = "iam.role.grant"
	CategoryRoleRevoke  = "iam.role.revoke"
	CategoryRoleChange  = "iam.role.change"
	CategoryCredCreate  = "credential.create"
	CategoryCredDelete  = "credential.delete"
	CategoryUserCreate  = "iam.user.create"
	CategoryUserChange  = "iam.user.change"
	CategoryPolicy      = "policy.change"
	CategoryAuth        = "auth"
	CategoryOther       = "audit"
	roleTierField       = "admin_tier"
	auditTargetUser     = "user"
	auditTargetRole     = "role"
	auditTargetCred     = "credential"
	auditTargetResource = "resource"
)

// auditEvent is the part of an Audit Trail event the mapping reads.
type auditEvent struct {
	ID         string `json:"id"`
	Attributes struct {
		Timestamp  time.Time `json:"timestamp"`
		Message    string    `json:"message"`
		Attributes struct {
			Evt struct {
				Name  string `json:"name"`
				Actor struct {
					Type string `json:"type"`
				} `json:"actor"`
				Outcome string `json:"outcome"`
			} `json:"evt"`
			Action string `json:"action"`
			Asset  struct {
				Type string `json:"type"`
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"asset"`
			Usr struct {
				ID    string `json:"id"`
				Email string `json:"email"`
			} `json:"usr"`
		} `json:"attributes"`
	} `json:"attributes"`
}

var (
	roleMemberAdded   = regexp.MustCompile(`(?i)\badded user (\S+) to role\b`)
	roleMemberRemoved = regexp.MustCompile(`(?i)\bremoved user (\S+) from role\b`)
)

// mapEvent maps one Audit Trail event: Type "<asset type>.<action>" (role.member_added and role.member_removed
// for role membership changes, user.disabled for a disabled user), the acting user as actor, the asset and the
// user a role change names as targets, the event's timestamp.
func mapEvent(item json.RawMessage) (sspm.Event, error) {
	var a auditEvent
	if err := json.Unmarshal(item, &a); err != nil || a.ID == "" || a.Attributes.Timestamp.IsZero() {
		return sspm.Event{}, sspm.Errorf(sspm.CodeUnavailable, "datadog list audit events: an event without id or timestamp")
	}
	at := a.Attributes.Attributes
	asset, action := strings.ToLower(at.Asset.Type), strings.ToLower(at.Action)
	e := sspm.Event{ProviderEventID: a.ID, Type: asset + "." + action, Outcome: "success", Source: "tail",
		OccurredAt: a.Attributes.Timestamp.UTC(), ActorExternalID: at.Usr.ID, ActorDisplay: at.Usr.Email, Raw: item}
	if asset == "" {
		e.Type = strings.ToLower(strings.ReplaceAll(at.Evt.Name, " ", "_")) + "." + action
	}
	if o := strings.ToLower(at.Evt.Outcome); o == "failure" || o == "error" {
		e.Outcome = "failure"
	}
	msg := a.Attributes.Message
	switch {
	case asset == "role" && action == "modified" && roleMemberAdded.MatchString(msg):
		e.Type, e.Category = "role.member_added", CategoryRoleGrant
		h := roleMemberAdded.FindStringSubmatch(msg)[1]
		e.Targets = append(e.Targets, sspm.EventTarget{Type: auditTargetUser, ExternalID: strings.TrimRight(h, "."), DisplayName: strings.TrimRight(h, ".")})
	case asset == "role" && action == "modified" && roleMemberRemoved.MatchString(msg):
		e.Type, e.Category = "role.member_removed", CategoryRoleRevoke
		h := roleMemberRemoved.FindStringSubmatch(msg)[1]
		e.Targets = append(e.Targets, sspm.EventTarget{Type: auditTargetUser, ExternalID: strings.TrimRight(h, "."), DisplayName: strings.TrimRight(h, ".")})
	case asset == "role":
		e.Category = CategoryRoleChange
	case (asset == "api_key" || asset == "application_key") && action == "created":
		e.Category = CategoryCredCreate
	case asset == "api_key" || asset == "application_key":
		if action == "deleted" {
			e.Category = CategoryCredDelete
		} else {
			e.Category = CategoryOther
		}
	case asset == "user" && action == "created":
		e.Category = CategoryUserCreate
	case asset == "user":
		e.Category = CategoryUserChange
		if strings.Contains(strings.ToLower(msg), "disabled user") {
			e.Type = "user.disabled"
		}
	case asset == "identity_provider" || asset == "org_setting" || asset == "login_method":
		e.Category = CategoryPolicy
	case strings.EqualFold(at.Evt.Name, "Authentication"):
		e.Category = CategoryAuth
	default:
		e.Category = CategoryOther
	}
	if at.Asset.ID != "" {
		typ := auditTargetResource
		switch asset {
		case "role":
			typ = auditTargetRole
		case "user":
			typ = auditTargetUser
		case "api_key", "application_key":
			typ = auditTargetCred
		}
		e.Targets = append(e.Targets, sspm.EventTarget{Type: typ, ExternalID: at.Asset.ID, DisplayName: at.Asset.Name})
	}
	return e, nil
}

// markRoleTier adds the admin tier of the role a membership event names to the event's details (admin_tier:
// super, privileged or none), from the role's permissions: the event policies flag grants of admin-grade roles
// whatever their names. When the roles cannot be read (a key without user_access_read), the tier comes from the
// role's name alone.
func (s *Source) markRoleTier(ctx context.Context, e *sspm.Event) {
	var roleID, roleName string
	for _, t := range e.Targets {
		if t.Type == auditTargetRole {
			roleID, roleName = t.ExternalID, t.DisplayName
		}
	}
	tier := AdminGrade(roleName, nil)
	if s.roles == nil || !s.roles.complete || s.roles.byID[roleID] == nil {
		_ = s.ensureRolesFresh(ctx) // best effort: the name decides when the roles cannot be read
	}
	if s.roles != nil {
		if info, ok := s.roles.byID[roleID]; ok {
			tier = info.Grade
		}
	}
	if tier == "" {
		tier = "none"
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(e.Raw))
	if dec.Decode(&m) != nil || m == nil {
		return
	}
	m[roleTierField], _ = json.Marshal(tier)
	if raw, err := json.Marshal(m); err == nil {
		e.Raw = raw
	}
}

// ensureRolesFresh reads the roles again, at most once per source (a tail source lives for one invocation).
func (s *Source) ensureRolesFresh(ctx context.Context) error {
	if s.rolesTried {
		return nil
	}
	s.rolesTried = true
	s.roles = nil
	return s.ensureRoles(ctx)
}

// resolveUserTarget replaces the handle a role membership event names its user by with the user's id (GET
// /api/v2/users?filter=<handle>), so that the target is joined to the account in the inventory (its admin flag,
// its person). Best effort, one request per handle and source and at most maxLookups a source (a backfill of
// many role grants does not spend the users' rate limit): when the user is not found, the handle stays.
func (s *Source) resolveUserTarget(ctx context.Context, e *sspm.Event) {
	for i, t := range e.Targets {
		if t.Type != auditTargetUser || t.ExternalID != t.DisplayName {
			continue
		}
		if s.handles == nil {
			s.handles = map[string]string{}
		}
		id, seen := s.handles[t.DisplayName]
		if !seen && len(s.handles) < maxLookups {
			id = s.userIDByHandle(ctx, t.DisplayName)
			s.handles[t.DisplayName] = id
		}
		if id != "" {
			e.Targets[i].ExternalID = id
		}
	}
}

// maxLookups bounds the user lookups of one tail source (one invocation).
const maxLookups = 50

// userIDByHandle finds the user whose handle or email is handle; "" when none is, or the users cannot be read.
func (s *Source) userIDByHandle(ctx context.Context, handle string) string {
	body, _, err := s.c.call(ctx, "find user", PermUserAccessRead, func(ctx context.Context) (*http.Response, error) {
		_, resp, err := s.c.users.ListUsers(ctx, *datadogV2.NewListUsersOptionalParameters().WithFilter(handle).WithPageSize(10))
		return resp, err
	})
	if err != nil {
		return ""
	}
	l, err := decodeListing("find user", body)
	if err != nil {
		return ""
	}
	for _, u := range l.Data {
		var a userAttributes
		if json.Unmarshal(u.Attributes, &a) != nil {
			continue
		}
		if strings.EqualFold(a.Handle, handle) || (a.Email != nil && strings.EqualFold(*a.Email, handle)) {
			return u.ID
		}
	}
	return ""
}
