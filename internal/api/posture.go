package api

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/rules"
)

type ruleResultStore interface {
	RuleResults(ctx context.Context, s rules.Scope) ([]rules.Result, error)
	RuleHistory(ctx context.Context, s rules.Scope, ref rules.RuleRef, limit int) ([]postgres.RuleEvaluation, error)
}

// maxPostureAffected caps the affected resources listed per rule on the posture page.
const maxPostureAffected = 100

// Posture is every scope's ruleset scores and rule results.
type Posture struct {
	Scopes []PostureScope `json:"scopes" nullable:"false"`
}

// PostureScope is the global scope or one connector instance.
type PostureScope struct {
	ScopeKind     string           `json:"scope_kind" enum:"global,connector_instance"`
	SourceKind    string           `json:"source_kind,omitempty"`
	SourceName    string           `json:"source_name,omitempty" doc:"The connector id of a connector scope."`
	ConnectorName string           `json:"connector_name,omitempty"`
	Rulesets      []RulesetPosture `json:"rulesets" nullable:"false"`
}

// RulesetPosture is a ruleset's score in a scope: rules passed of rules evaluated (pass or fail).
type RulesetPosture struct {
	Key       string       `json:"key"`
	Name      string       `json:"name,omitempty"`
	Disabled  bool         `json:"disabled" doc:"An override disabled the ruleset in this scope: its rules are not applicable."`
	Passed    int          `json:"passed"`
	Evaluated int          `json:"evaluated" doc:"Rules that passed or failed; unknown, not applicable and errors are left out."`
	Failed    int          `json:"failed"`
	Other     int          `json:"other" doc:"Rules that were unknown, not applicable or errored."`
	Results   []RuleResult `json:"results" nullable:"false"`
}

// RuleResult is the current result of a rule in a scope.
type RuleResult struct {
	RulesetKey    string             `json:"ruleset_key"`
	RuleKey       string             `json:"rule_key"`
	Title         string             `json:"title"`
	Rationale     string             `json:"rationale,omitempty" doc:"Why the rule matters and what it checks (one paragraph)."`
	Remediation   string             `json:"remediation,omitempty" doc:"The steps that fix a failure: a numbered Markdown list."`
	Severity      string             `json:"severity"`
	Status        string             `json:"status" enum:"pass,fail,unknown,not_applicable,error"`
	Reason        string             `json:"reason,omitempty"`
	ErrorKind     string             `json:"error_kind,omitempty"`
	Summary       string             `json:"summary,omitempty"`
	Selected      int                `json:"selected"`
	PassedCount   int                `json:"passed_count"`
	Affected      []AffectedResource `json:"affected" nullable:"false" doc:"At most 100; affected_total counts them all."`
	AffectedTotal int                `json:"affected_total"`
	EvaluatedAt   time.Time          `json:"evaluated_at"`
	Manual        bool               `json:"manual" doc:"The rule has no check: it is unknown (manual_rule) until attested."`
	Attestation   *RuleAttestation   `json:"attestation,omitempty"`
	Override      *RuleOverride      `json:"override,omitempty"`
	Parameters    *RuleParameters    `json:"parameters,omitempty" doc:"The rule's tunable parameters, when it has any."`
}

// AffectedResource is a resource a rule failed on.
type AffectedResource struct {
	ID      string `json:"id"`
	Display string `json:"display,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// RuleEvaluation is one past evaluation of a rule.
type RuleEvaluation struct {
	ID          int64     `json:"id"`
	Status      string    `json:"status" enum:"pass,fail,unknown,not_applicable,error"`
	Reason      string    `json:"reason,omitempty"`
	ErrorKind   string    `json:"error_kind,omitempty"`
	Selected    int       `json:"selected"`
	Passed      int       `json:"passed"`
	Affected    int       `json:"affected"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}

type postureInput struct {
	Connector string `query:"connector" doc:"Only this connector's scope (global for the global scope)."`
}

type ruleHistoryInput struct {
	Ruleset   string `query:"ruleset" required:"true"`
	Rule      string `query:"rule" required:"true"`
	Connector string `query:"connector" doc:"The connector of a connector-scoped ruleset; empty for the global scope."`
	Limit     int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

func (a *Admin) registerPosture(api huma.API) {
	tags := []string{"findings"}
	operation(a, api, huma.Operation{OperationID: "getPosture", Method: http.MethodGet, Path: "/api/posture",
		Summary: "Rule results and ruleset scores per scope", Tags: tags}, a.getPosture)
	operation(a, api, huma.Operation{OperationID: "getRuleHistory", Method: http.MethodGet, Path: "/api/rule-history",
		Summary: "The newest evaluations of a rule in a scope", Tags: tags, Errors: []int{404, 422}}, a.getRuleHistory)
}

func (a *Admin) getPosture(ctx context.Context, in *postureInput) (*body[Posture], error) {
	cs, err := a.Store.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	out := Posture{Scopes: []PostureScope{}}
	add := func(s rules.Scope, name string) error {
		rs, err := a.Store.RuleResults(ctx, s)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		sets := rulesetsOf(rs)
		if a.Rules != nil {
			ctl, err := a.Rules.Controls(ctx, s)
			if err != nil {
				return err
			}
			for i := range sets {
				a.decorateRuleset(&sets[i], ctl)
			}
		}
		out.Scopes = append(out.Scopes, PostureScope{ScopeKind: s.Kind, SourceKind: s.SourceKind, SourceName: s.SourceName,
			ConnectorName: name, Rulesets: sets})
		return nil
	}
	if in.Connector == "" || in.Connector == "global" {
		if err := add(rules.GlobalScope(), ""); err != nil {
			return nil, err
		}
	}
	for _, c := range cs {
		if in.Connector != "" && in.Connector != c.ID {
			continue
		}
		if err := add(rules.ConnectorScope(string(c.Kind), c.ID), c.Name); err != nil {
			return nil, err
		}
	}
	return bodyOf(out), nil
}

func rulesetsOf(rs []rules.Result) []RulesetPosture {
	var out []RulesetPosture
	idx := map[string]int{}
	for _, r := range rs {
		i, ok := idx[r.RulesetKey]
		if !ok {
			i = len(out)
			idx[r.RulesetKey] = i
			out = append(out, RulesetPosture{Key: r.RulesetKey, Results: []RuleResult{}})
		}
		p := &out[i]
		switch r.Status {
		case rules.StatusPass:
			p.Passed++
			p.Evaluated++
		case rules.StatusFail:
			p.Failed++
			p.Evaluated++
		default:
			p.Other++
		}
		p.Results = append(p.Results, ruleResultOut(r))
	}
	return out
}

func ruleResultOut(r rules.Result) RuleResult {
	out := RuleResult{RulesetKey: r.RulesetKey, RuleKey: r.RuleKey, Title: r.Title, Severity: r.Severity, Status: string(r.Status),
		Reason: string(r.Reason), ErrorKind: string(r.ErrorKind), Summary: r.Summary, Selected: r.Selected, PassedCount: r.Passed,
		Affected: []AffectedResource{}, AffectedTotal: len(r.Affected), EvaluatedAt: r.EvaluatedAt.UTC()}
	for i, af := range r.Affected {
		if i == maxPostureAffected {
			break
		}
		out.Affected = append(out.Affected, AffectedResource{ID: af.ID, Display: af.Display, Reason: string(af.Reason)})
	}
	return out
}

func (a *Admin) getRuleHistory(ctx context.Context, in *ruleHistoryInput) (*body[[]RuleEvaluation], error) {
	s := rules.GlobalScope()
	if in.Connector != "" && in.Connector != "global" {
		c, err := a.Store.Connector(ctx, in.Connector)
		if err != nil {
			return nil, err
		}
		s = rules.ConnectorScope(string(c.Kind), c.ID)
	}
	limit := in.Limit
	if limit <= 0 {
		limit = 50
	}
	hs, err := a.Store.RuleHistory(ctx, s, rules.RuleRef{Ruleset: in.Ruleset, Rule: in.Rule}, limit)
	if err != nil {
		return nil, err
	}
	out := make([]RuleEvaluation, len(hs))
	for i, h := range hs {
		out[i] = RuleEvaluation{ID: h.ID, Status: string(h.Status), Reason: string(h.Reason), ErrorKind: string(h.ErrorKind),
			Selected: h.Selected, Passed: h.Passed, Affected: h.Affected, EvaluatedAt: h.EvaluatedAt.UTC()}
	}
	return bodyOf(out), nil
}
