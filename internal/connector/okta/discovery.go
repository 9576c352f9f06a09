package okta

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Discovery reads SSO sign-ins and OAuth consents from the System Log since the previous run (a bounded read:
// ordered by published, finite), overlapping the previous window by five minutes; the store counts an event
// read twice once. A first run looks back discoveryLookback.
const discoveryLookback = 7 * 24 * time.Hour

// Event types that are discovery evidence.
const (
	eventSSO = "user.authentication.sso"
)

var consentEvents = []string{"app.oauth2.as.consent.grant", "app.oauth2.consent.grant", "app.oauth2.admin.consent.grant"}

var evidenceFilter = `eventType eq "` + eventSSO + `" or eventType eq "` + strings.Join(consentEvents, `" or eventType eq "`) + `"`

// evidenceStep reads one page of evidence events. The last page returns the window's end as the watermark.
func (s *Source) evidenceStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur logCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	if cur.Since == "" { // the first page: the cursor is "" or the previous run's watermark
		now := s.opts.now().UTC()
		since := now.Add(-discoveryLookback)
		if prev, err := time.Parse(time.RFC3339Nano, cur.Until); err == nil {
			since = prev.Add(-overlap)
		}
		cur = logCursor{Since: since.Format(time.RFC3339Nano), Until: now.Format(time.RFC3339Nano)}
	}
	since, err1 := time.Parse(time.RFC3339Nano, cur.Since)
	until, err2 := time.Parse(time.RFC3339Nano, cur.Until)
	if err1 != nil || err2 != nil {
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "okta: malformed discovery cursor")
	}
	var res sspm.StepResult
	domains, err := s.appsByID(ctx)
	if rawhttp.Forbidden(err) { // evidence keeps the app's id and name from the event, without its domain
		domains = map[string]appRef{}
		res.Unavailable = []sspm.Entity{sspm.EntityResources}
		res.Message = "apps unavailable (403): evidence recorded without app domains"
	} else if err != nil {
		return sspm.StepResult{}, err
	}
	p, err := s.logPage(ctx, "read the system log", cur.After, since, until, evidenceFilter)
	if err != nil {
		return sspm.StepResult{}, err
	}
	for _, item := range p.items {
		e, le, err := mapEvent(item)
		if err != nil {
			return sspm.StepResult{}, sspm.Errorf(sspm.CodeUnavailable, "okta read the system log: %v", err)
		}
		if ev, ok := evidenceOf(le, e, domains); ok {
			res.Page.Evidence = append(res.Page.Evidence, ev)
		}
	}
	if p.next != "" && len(p.items) > 0 {
		cur.After = p.next
		res.Next = encodeCursor(cur)
		return res, nil
	}
	res.Watermark = encodeCursor(logCursor{Until: cur.Until})
	return res, nil
}

// appsByID maps app ids to apps, for evidence names and domains.
func (s *Source) appsByID(ctx context.Context) (map[string]appRef, error) {
	if s.mem.appDomains != nil {
		return s.mem.appDomains, nil
	}
	apps, err := s.listAllApps(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]appRef, len(apps))
	for _, a := range apps {
		m[a.ID] = a
	}
	s.mem.appDomains = m
	return m, nil
}

// evidenceOf turns an SSO or consent event into evidence: the app (Okta app id, label, domain from the app's
// settings), the person and, for consents, the scopes.
func evidenceOf(le logEvent, e sspm.Event, apps map[string]appRef) (sspm.Evidence, bool) {
	if e.Outcome == "failure" {
		return sspm.Evidence{}, false
	}
	ev := sspm.Evidence{OccurredAt: e.OccurredAt, SourceEvent: e.ProviderEventID}
	actor := le.Actor
	switch {
	case le.EventType == eventSSO:
		ev.Kind = "sso"
	case slices.Contains(consentEvents, le.EventType):
		ev.Kind = "oauth_grant"
		ev.Scopes = scopesOf(le)
		if !strings.EqualFold(actor.Type, "User") {
			if u, ok := firstTarget(le, "User"); ok {
				actor = u
			}
		}
	default:
		return sspm.Evidence{}, false
	}
	app, ok := firstTarget(le, "AppInstance")
	if !ok && ev.Kind == "oauth_grant" {
		for _, t := range le.Target {
			if strings.Contains(t.Type, "Client") || strings.HasSuffix(t.Type, "App") {
				app, ok = t, true
				break
			}
		}
		if !ok {
			if id, _ := debugValue(le, "clientId").(string); id != "" {
				app, ok = logRef{ID: id}, true
			}
		}
	}
	if !ok || app.ID == "" {
		return sspm.Evidence{}, false
	}
	ev.AppID, ev.AppName = app.ID, app.DisplayName
	if ev.AppName == "" {
		ev.AppName = app.AlternateID
	}
	if a, ok := apps[app.ID]; ok {
		ev.Domain = a.Domain
		if ev.AppName == "" {
			ev.AppName = a.Label
		}
	}
	ev.ActorID = actor.ID
	ev.ActorEmail = emailOf(actor.AlternateID, "")
	return ev, true
}

func firstTarget(le logEvent, typ string) (logRef, bool) {
	for _, t := range le.Target {
		if strings.EqualFold(t.Type, typ) {
			return t, true
		}
	}
	return logRef{}, false
}

func debugValue(le logEvent, key string) any {
	if le.DebugContext == nil {
		return nil
	}
	return le.DebugContext.DebugData[key]
}

// scopesOf reads granted scopes from debugData (space- or comma-separated, or a list), preferring granted over
// requested ones.
func scopesOf(le logEvent) []string {
	for _, key := range []string{"grantedScopes", "scopes", "scope", "scp", "requestedScopes"} {
		var out []string
		switch v := debugValue(le, key).(type) {
		case string:
			out = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok && s != "" {
					out = append(out, s)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}
