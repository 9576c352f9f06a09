package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
)

type findingStore interface {
	Findings(ctx context.Context, f postgres.FindingFilter, o postgres.ListOptions) (postgres.List[postgres.FindingRow], error)
	Finding(ctx context.Context, id int64) (postgres.FindingRow, error)
	FindingSubjects(ctx context.Context, connectorID string, externalIDs []string, identityIDs []int64) ([]postgres.FindingSubject, error)
}

// Finding is a posture, event or identity finding (read-only here).
type Finding struct {
	ID           int64      `json:"id"`
	DedupeKey    string     `json:"dedupe_key"`
	Kind         string     `json:"kind" enum:"posture,event,identity"`
	ConnectorID  string     `json:"connector_id,omitempty"`
	RuleKey      string     `json:"rule_key,omitempty"`
	Severity     string     `json:"severity" enum:"info,low,medium,high,critical"`
	Status       string     `json:"status" enum:"open,resolved,suppressed,accepted_risk"`
	Title        string     `json:"title"`
	RulesetKey   string     `json:"ruleset_key,omitempty" doc:"The ruleset, event policy set or identity checks the rule belongs to."`
	Rationale    string     `json:"rationale,omitempty" doc:"Detail only: why the rule or policy matters and what it checks."`
	Remediation  string     `json:"remediation,omitempty" doc:"Detail only: the steps that fix it, a numbered Markdown list."`
	StatusReason string     `json:"status_reason,omitempty"`
	StatusUntil  *time.Time `json:"status_until,omitempty"`
	FirstSeenAt  time.Time  `json:"first_seen_at"`
	LastSeenAt   time.Time  `json:"last_seen_at"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
	Evidence     any        `json:"evidence,omitempty" doc:"Detail only."`
	Affected     []Affected `json:"affected,omitempty" doc:"Detail only: the live resources and accounts its evidence names (a posture rule's affected ids, an event's targets) and the identity an identity finding is about."`
}

// Affected is a resource, account or identity a finding names, for a link to its page.
type Affected struct {
	Type        string `json:"type" enum:"resource,account,identity"`
	ID          int64  `json:"id" doc:"The resource's, account's or identity's id."`
	ConnectorID string `json:"connector_id,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
	Name        string `json:"name"`
	IdentityID  *int64 `json:"identity_id,omitempty" doc:"An account's identity."`
}

type listFindingsInput struct {
	PageParams
	Status      string `query:"status" enum:"open,resolved,suppressed,accepted_risk"`
	Severity    string `query:"severity" enum:"info,low,medium,high,critical"`
	Kind        string `query:"kind" enum:"posture,event,identity"`
	ConnectorID string `query:"connector"`
	RuleKey     string `query:"rule"`
	IdentityID  int64  `query:"identity" doc:"Findings whose evidence names this identity."`
	Search      string `query:"q" doc:"Part of the title or dedupe key."`
	Sort        string `query:"sort" enum:"severity,-severity,last_seen_at,-last_seen_at,first_seen_at,-first_seen_at,title,-title"`
}

type findingPath struct {
	ID int64 `path:"id"`
}

func (a *Admin) registerFindings(api huma.API) {
	tags := []string{"findings"}
	operation(a, api, huma.Operation{OperationID: "listFindings", Method: http.MethodGet, Path: "/api/findings",
		Summary: "Findings", Tags: tags, Errors: []int{422}}, a.listFindings)
	operation(a, api, huma.Operation{OperationID: "getFinding", Method: http.MethodGet, Path: "/api/findings/{id}",
		Summary: "A finding with its evidence", Tags: tags, Errors: []int{404}}, a.getFinding)
}

func (a *Admin) listFindings(ctx context.Context, in *listFindingsInput) (*body[Page[Finding]], error) {
	o := in.options(in.Sort)
	l, err := a.Store.Findings(ctx, postgres.FindingFilter{Status: in.Status, Severity: in.Severity, Kind: in.Kind,
		ConnectorID: in.ConnectorID, RuleKey: in.RuleKey, IdentityID: in.IdentityID, Search: in.Search}, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, findingOut)), nil
}

func findingOut(f postgres.FindingRow) Finding {
	out := Finding{ID: f.ID, DedupeKey: f.DedupeKey, Kind: f.Kind, ConnectorID: f.ConnectorID, RuleKey: f.RuleKey,
		RulesetKey: f.RulesetKey, Severity: f.Severity,
		Status: f.Status, Title: f.Title, StatusReason: f.StatusReason, StatusUntil: timePtr(f.StatusUntil),
		FirstSeenAt: f.FirstSeenAt.UTC(), LastSeenAt: f.LastSeenAt.UTC(), ResolvedAt: timePtr(f.ResolvedAt)}
	if len(f.Evidence) > 0 {
		_ = json.Unmarshal(f.Evidence, &out.Evidence)
	}
	return out
}

func (a *Admin) getFinding(ctx context.Context, in *findingPath) (*body[Finding], error) {
	f, err := a.Store.Finding(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := findingOut(f)
	if out.Affected, err = a.affected(ctx, f); err != nil {
		return nil, err
	}
	if a.Rules != nil {
		if g, ok := a.Rules.Guidance(f.RulesetKey, f.RuleKey); ok {
			out.Rationale, out.Remediation = g.Rationale, g.Remediation
		}
	}
	return bodyOf(out), nil
}

// affected resolves what a finding's evidence names: posture rules' affected ids and events' targets are the
// external ids of the finding's connector; identity findings name an identity_id.
func (a *Admin) affected(ctx context.Context, f postgres.FindingRow) ([]Affected, error) {
	var ev struct {
		Affected []struct {
			ID string `json:"id"`
		} `json:"affected_resources"`
		Event struct {
			Targets []struct {
				ID string `json:"id"`
			} `json:"targets"`
		} `json:"event"`
		IdentityID int64 `json:"identity_id"`
	}
	if len(f.Evidence) > 0 {
		_ = json.Unmarshal(f.Evidence, &ev) // evidence of another shape names nothing
	}
	var ids []string
	for _, r := range ev.Affected {
		ids = append(ids, r.ID)
	}
	for _, t := range ev.Event.Targets {
		ids = append(ids, t.ID)
	}
	var identities []int64
	if ev.IdentityID > 0 {
		identities = append(identities, ev.IdentityID)
	}
	if len(identities) == 0 && (len(ids) == 0 || f.ConnectorID == "") {
		return nil, nil
	}
	rows, err := a.Store.FindingSubjects(ctx, f.ConnectorID, ids, identities)
	if err != nil {
		return nil, err
	}
	out := make([]Affected, len(rows))
	for i, r := range rows {
		out[i] = Affected{Type: r.Type, ID: r.ID, ConnectorID: r.ConnectorID, ExternalID: r.ExternalID, Name: r.Name, IdentityID: r.IdentityID}
	}
	return out, nil
}
