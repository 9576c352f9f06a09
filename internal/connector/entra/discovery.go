package entra

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Discovery reads SaaS-app evidence into the same model as Okta's (providers.md §3.6): SSO sign-ins from
// auditLogs/signIns and OAuth consents from the directory audit ("Consent to application", "Add delegated
// permission grant", "Add app role assignment to service principal"), in a bounded window since the previous run
// (overlapping it by 15 minutes; evidence read twice is stored once). The app is the service principal's appId
// and name, its domain from the service principal's homepage; consents carry the scopes of the delegated grant
// between the app and the person. A tenant without Entra ID P1 has no sign-in log: sign-in evidence is then
// unavailable (the run says so), not failed, and consents are still read.

// StageEvidence is the discovery lane's stage.
const StageEvidence = "evidence"

const discoveryLookback = 7 * 24 * time.Hour

// Unavailable names of the discovery lane (it sweeps nothing; the run lists what it could not read).
var (
	unavailableSignIns = sspm.DatasetEntity("entra:sign_in_evidence")
	unavailableApps    = sspm.EntityResources
	unavailableScopes  = sspm.EntityCredentials
)

// windowCursor is a discovery read: the window (Since, Until), the listing under way (0 sign-ins, 1 audits) and
// its next link. A watermark has only Until.
type windowCursor struct {
	Since string `json:"s,omitempty"`
	Until string `json:"u,omitempty"`
	List  int    `json:"ls,omitempty"`
	Link  string `json:"l,omitempty"`
}

// consentActivities are the audits that record an OAuth consent.
var consentActivities = map[string]bool{"Consent to application": true, "Add delegated permission grant": true,
	"Add app role assignment to service principal": true}

func (s *Source) evidenceStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur windowCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	if cur.Since == "" { // the first page: the cursor is "" or the previous run's watermark
		now := s.opts.now().UTC()
		since := now.Add(-discoveryLookback)
		if prev, err := time.Parse(time.RFC3339, cur.Until); err == nil {
			since = prev.Add(-tailOverlap)
		}
		cur = windowCursor{Since: since.Format(time.RFC3339), Until: now.Format(time.RFC3339)}
	}
	var res sspm.StepResult
	if err := s.loadSPs(ctx); isForbidden(err) {
		res.Unavailable = append(res.Unavailable, unavailableApps)
		res.Message = "service principals unavailable (403): evidence recorded without app names and domains"
	} else if err != nil {
		return sspm.StepResult{}, err
	}
	st := s.stepper()
	for !st.full(len(res.Page.Evidence)) && cur.List < 2 {
		link := cur.Link
		if cur.List == 1 {
			// The consents' scopes come from the delegated grants: read them (once per Source) before the audits.
			if _, err := s.grantScopes(ctx); isForbidden(err) {
				if !containsEntity(res.Unavailable, unavailableScopes) {
					res.Unavailable = append(res.Unavailable, unavailableScopes)
					res.Message = joinMessages(res.Message, "delegated grants unavailable (403): consents recorded without scopes")
				}
			} else if err != nil {
				return sspm.StepResult{}, err
			}
		}
		if link == "" {
			prop, path := "createdDateTime", "/auditLogs/signIns"
			if cur.List == 1 {
				prop, path = "activityDateTime", "/auditLogs/directoryAudits"
			}
			filter := prop + " ge " + cur.Since + " and " + prop + " le " + cur.Until
			link = path + "?$filter=" + url.QueryEscape(filter) + "&$top=1000"
		}
		p, err := s.readPage(ctx, "read "+[]string{"sign-ins", "directory audits"}[cur.List], link)
		st.requests++
		switch {
		case cur.List == 0 && nonPremium(err):
			res.Unavailable = append(res.Unavailable, unavailableSignIns)
			res.Message = joinMessages(res.Message, "sign-in evidence unavailable: the tenant has no Entra ID P1")
			cur.List, cur.Link = 1, ""
			continue
		case err != nil:
			return sspm.StepResult{}, err
		}
		for _, item := range p.Value {
			var ev sspm.Evidence
			var ok bool
			if cur.List == 0 {
				ev, ok = s.signInEvidence(item)
			} else {
				ev, ok, err = s.consentEvidence(ctx, item)
				if err != nil {
					return sspm.StepResult{}, err
				}
			}
			if ok {
				res.Page.Evidence = append(res.Page.Evidence, ev)
			}
		}
		if p.Next != "" {
			cur.Link = p.Next
		} else {
			cur.List, cur.Link = cur.List+1, ""
		}
	}
	if cur.List >= 2 {
		res.Watermark = encodeCursor(windowCursor{Until: cur.Until})
		return res, nil
	}
	res.Next = encodeCursor(cur)
	return res, nil
}

// signInEvidence turns a successful sign-in into SSO evidence.
func (s *Source) signInEvidence(item json.RawMessage) (sspm.Evidence, bool) {
	e, err := mapSignIn(item)
	if err != nil || e.Outcome == "failure" || len(e.Targets) == 0 {
		return sspm.Evidence{}, false
	}
	var si signInEntry
	_ = json.Unmarshal(item, &si)
	ev := sspm.Evidence{Kind: "sso", AppID: si.AppID, AppName: si.AppName, ActorID: si.UserID, OccurredAt: e.OccurredAt,
		SourceEvent: e.ProviderEventID}
	if em := strings.ToLower(si.UPN); emailShaped(em) && !strings.Contains(em, "#ext#") {
		ev.ActorEmail = em
	}
	if sp, ok := s.mem.spByAppID[strings.ToLower(si.AppID)]; ok {
		ev.Domain = sp.Domain
	}
	return ev, true
}

// consentEvidence turns a consent audit into OAuth-grant evidence with the delegated grant's scopes.
func (s *Source) consentEvidence(ctx context.Context, item json.RawMessage) (sspm.Evidence, bool, error) {
	e, err := mapAudit(item)
	if err != nil {
		return sspm.Evidence{}, false, err
	}
	if !consentActivities[e.Type] || e.Outcome == "failure" {
		return sspm.Evidence{}, false, nil
	}
	var spID string
	for _, t := range e.Targets {
		if t.Type == "serviceprincipal" {
			spID = strings.TrimPrefix(t.ExternalID, "sp:")
			break
		}
	}
	if spID == "" {
		return sspm.Evidence{}, false, nil
	}
	ev := sspm.Evidence{Kind: "oauth_grant", ActorID: e.ActorExternalID, OccurredAt: e.OccurredAt, SourceEvent: e.ProviderEventID}
	if em := strings.ToLower(e.ActorDisplay); emailShaped(em) {
		ev.ActorEmail = em
	}
	sp, known := s.mem.spByID[spID]
	if known {
		ev.AppID, ev.AppName, ev.Domain = sp.AppID, sp.DisplayName, sp.Domain
	} else {
		ev.AppID = spID
		for _, t := range e.Targets {
			if t.Type == "serviceprincipal" {
				ev.AppName = t.DisplayName
			}
		}
	}
	scopes, err := s.grantScopes(ctx)
	switch {
	case isForbidden(err): // recorded without scopes; evidenceStep said why
	case err != nil:
		return sspm.Evidence{}, false, err
	default:
		ev.Scopes = scopes[spID+"/"+e.ActorExternalID]
		if ev.Scopes == nil {
			ev.Scopes = scopes[spID+"/"]
		}
	}
	return ev, true, nil
}

func containsEntity(es []sspm.Entity, e sspm.Entity) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

// grantScopes maps "{client service principal}/{user}" (and "{client}/" for tenant-wide consent) to the scopes of
// the tenant's delegated grants, read once per Source.
func (s *Source) grantScopes(ctx context.Context) (map[string][]string, error) {
	if s.mem.grantScopes != nil {
		return s.mem.grantScopes, nil
	}
	if s.mem.grantScopesErr != nil {
		return nil, s.mem.grantScopesErr
	}
	out := map[string][]string{}
	err := s.eachItem(ctx, "list oauth2 permission grants", "/oauth2PermissionGrants?$top=999", func(item json.RawMessage, _ object) error {
		var g struct {
			ClientID    string `json:"clientId"`
			ConsentType string `json:"consentType"`
			PrincipalID string `json:"principalId"`
			Scope       string `json:"scope"`
		}
		if err := json.Unmarshal(item, &g); err != nil {
			return &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list oauth2 permission grants: malformed grant", Err: err}
		}
		key := g.ClientID + "/" + g.PrincipalID
		if strings.EqualFold(g.ConsentType, "AllPrincipals") {
			key = g.ClientID + "/"
		}
		out[key] = append(out[key], strings.Fields(g.Scope)...)
		return nil
	})
	if isForbidden(err) {
		s.mem.grantScopesErr = err
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	s.mem.grantScopes = out
	return out, nil
}
