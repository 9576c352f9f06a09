package google

import (
	"context"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// discoveryLookback is how far back a first discovery run reads; later runs read from the previous run's end,
// overlapping it by discoveryOverlap (the store counts evidence read twice once).
const (
	discoveryLookback = 7 * 24 * time.Hour
	discoveryOverlap  = 6 * time.Hour
)

// evidenceApps are the Reports applications discovery reads, in order.
var evidenceApps = []string{"token", "saml"}

// evidenceCursor is a discovery run's window, the application being read and its next page.
type evidenceCursor struct {
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
	App   int    `json:"app,omitempty"`
	Page  string `json:"page,omitempty"`
}

// evidenceStep reads one page of token (authorize: OAuth grants to third-party apps, by client id, with their
// scopes) or saml (login_success: SSO into SAML apps, by name) activities as discovery evidence. The last page
// returns the window's end as the watermark.
func (s *Source) evidenceStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur evidenceCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	if cur.Since == "" { // the first page: the cursor is "" or the previous run's watermark
		now := s.opts.now().UTC()
		since := now.Add(-discoveryLookback)
		if prev, err := time.Parse(time.RFC3339Nano, cur.Until); err == nil {
			since = prev.Add(-discoveryOverlap)
		}
		cur = evidenceCursor{Since: since.Format(time.RFC3339Nano), Until: now.Format(time.RFC3339Nano)}
	}
	var res sspm.StepResult
	app := evidenceApps[min(cur.App, len(evidenceApps)-1)]
	eventName := "authorize"
	if app == "saml" {
		eventName = "login_success"
	}
	call := s.c.rep.Activities.List("all", app).StartTime(cur.Since).EndTime(cur.Until).EventName(eventName).
		MaxResults(s.pageSize(tailPageSize)).Context(ctx)
	if cur.Page != "" {
		call = call.PageToken(cur.Page)
	}
	page, err := call.Do()
	if err != nil {
		return res, s.c.apiError(ctx, "list "+app+" activities", err) // a 403 fails the run: the admin may not read Reports
	}
	{
		for _, a := range page.Items {
			if a.Id == nil {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, a.Id.Time)
			if err != nil {
				continue
			}
			for _, ev := range a.Events {
				if ev.Name != eventName {
					continue
				}
				e := sspm.Evidence{Kind: "oauth_grant", OccurredAt: at.UTC(), SourceEvent: activityKey(a)}
				if a.Actor != nil {
					e.ActorID, e.ActorEmail = a.Actor.ProfileId, a.Actor.Email
				}
				for _, p := range ev.Parameters {
					switch p.Name {
					case "client_id":
						e.AppID = p.Value
					case "app_name", "application_name":
						e.AppName = p.Value
					case "scope":
						e.Scopes = append(e.Scopes, p.MultiValue...)
						if p.Value != "" {
							e.Scopes = append(e.Scopes, p.Value)
						}
					}
				}
				if app == "saml" {
					e.Kind = "sso"
				}
				if e.AppID == "" && e.AppName == "" {
					continue
				}
				res.Page.Evidence = append(res.Page.Evidence, e)
			}
		}
		if page.NextPageToken != "" {
			cur.Page = page.NextPageToken
			res.Next = encodeCursor(cur)
			return res, nil
		}
	}
	if cur.App+1 < len(evidenceApps) {
		res.Next = encodeCursor(evidenceCursor{Since: cur.Since, Until: cur.Until, App: cur.App + 1})
		return res, nil
	}
	res.Watermark = encodeCursor(evidenceCursor{Until: cur.Until})
	return res, nil
}
