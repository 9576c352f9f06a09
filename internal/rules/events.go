package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// groupKey is the key sequences group an event by: its first target's id, or its actor's id.
func groupKey(e *sspm.Event, by string) string {
	if by == "actor" {
		return e.ActorExternalID
	}
	if len(e.Targets) > 0 {
		return e.Targets[0].ExternalID
	}
	return ""
}

// eventValue is the `event` variable of policy expressions (docs/rules-engine.md#event-policies): the canonical fields, with
// details = the provider's raw event.
func eventValue(e *sspm.Event) map[string]any {
	targets := make([]any, len(e.Targets))
	for i, t := range e.Targets {
		targets[i] = map[string]any{"kind": t.Type, "id": t.ExternalID, "display": t.DisplayName, "is_admin": t.IsAdmin}
	}
	var details any = map[string]any{}
	if len(e.Raw) > 0 {
		_ = json.Unmarshal(e.Raw, &details) // an undecodable raw event has no details
	}
	return map[string]any{
		"source_kind": string(e.SourceKind), "source_name": e.ConnectorID, "channel": e.Source,
		"provider_event_id": e.ProviderEventID, "event_type": e.Type, "category": e.Category,
		"outcome": strings.ToLower(e.Outcome), "occurred_at": e.OccurredAt.UTC().Format(time.RFC3339Nano),
		"actor":   map[string]any{"id": e.ActorExternalID, "display": e.ActorDisplay},
		"targets": targets, "details": details,
	}
}

// Lookback returns the events a LookbackQuery asks for (the evaluator reads them from the store).
type Lookback func(ctx context.Context, q LookbackQuery) ([]sspm.Event, error)

// PolicyMatch is an event that a policy matched.
type PolicyMatch struct {
	Ref      PolicyRef
	Event    *sspm.Event
	Severity string
	Sequence []*sspm.Event // the earlier steps, for sequence policies
}

// MatchEvents runs every policy with a matcher for sourceKind over events (all of one connector) and returns
// the matches in event order. skip, when set, leaves out policies disabled for the connector. Sequence
// matchers read earlier steps through lookback.
func (c *Catalog) MatchEvents(ctx context.Context, sourceKind string, events []sspm.Event, skip func(PolicyRef) bool, lookback Lookback) ([]PolicyMatch, error) {
	type candidate struct {
		ref PolicyRef
		m   *Matcher
		ev  *sspm.Event
		in  map[string]any
	}
	var (
		byType = map[string][]PolicyRef{} // event type or category → policies worth evaluating
		out    []PolicyMatch
		seqs   []candidate
	)
	for _, ref := range c.Policies(sourceKind) {
		if skip != nil && skip(ref) {
			continue
		}
		for _, m := range ref.Policy.Matchers {
			if m.SourceKind != sourceKind {
				continue
			}
			for t := range m.types {
				byType["t:"+t] = appendRef(byType["t:"+t], ref)
			}
			for k := range m.cats {
				byType["c:"+k] = appendRef(byType["c:"+k], ref)
			}
		}
	}
	for i := range events {
		ev := &events[i]
		refs := appendRefs(byType["t:"+ev.Type], byType["c:"+ev.Category])
		if len(refs) == 0 {
			continue
		}
		in := map[string]any{varEvent: eventValue(ev)}
		for _, ref := range refs {
			for _, m := range ref.Policy.Matchers {
				if m.SourceKind != sourceKind || !(m.types[ev.Type] || m.cats[ev.Category]) {
					continue
				}
				// An expression that errors on an event (a field it did not guard with has_field) does not match it.
				if ok, err := evalBool(m.when, in); err != nil || !ok {
					continue
				}
				if m.Correlate != nil {
					seqs = append(seqs, candidate{ref: ref, m: m, ev: ev, in: in})
					break
				}
				out = append(out, PolicyMatch{Ref: ref, Event: ev, Severity: severity(ref.Policy, in)})
				break
			}
		}
	}
	for _, cand := range seqs {
		steps, err := sequenceSteps(ctx, cand.m, cand.ev, lookback)
		if err != nil {
			return nil, fmt.Errorf("policy %s on event %s: %w", cand.ref.Policy.ID, cand.ev.ProviderEventID, err)
		}
		if steps == nil {
			continue
		}
		out = append(out, PolicyMatch{Ref: cand.ref, Event: cand.ev, Severity: severity(cand.ref.Policy, cand.in), Sequence: steps})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Event.ID < out[j].Event.ID })
	return out, nil
}

func appendRef(refs []PolicyRef, r PolicyRef) []PolicyRef {
	for _, x := range refs {
		if x.Policy == r.Policy {
			return refs
		}
	}
	return append(refs, r)
}

func appendRefs(a, b []PolicyRef) []PolicyRef {
	out := append([]PolicyRef(nil), a...)
	for _, r := range b {
		out = appendRef(out, r)
	}
	return out
}

// sequenceSteps returns the earlier events that complete ev's sequence in order within the window, or nil.
func sequenceSteps(ctx context.Context, m *Matcher, ev *sspm.Event, lookback Lookback) ([]*sspm.Event, error) {
	k := m.Correlate
	key := groupKey(ev, k.GroupBy)
	if key == "" || lookback == nil {
		return nil, nil
	}
	q := LookbackQuery{ConnectorID: ev.ConnectorID, GroupBy: k.GroupBy, Keys: []string{key},
		Since: ev.OccurredAt.Add(-k.within), Until: ev.OccurredAt}
	for _, s := range k.Sequence {
		q.EventTypes = append(q.EventTypes, s.EventTypes...)
		q.Categories = append(q.Categories, s.Categories...)
	}
	prior, err := lookback(ctx, q)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(prior, func(i, j int) bool {
		if !prior[i].OccurredAt.Equal(prior[j].OccurredAt) {
			return prior[i].OccurredAt.Before(prior[j].OccurredAt)
		}
		return prior[i].ID < prior[j].ID
	})
	var found []*sspm.Event
	step := 0
	for i := range prior {
		p := &prior[i]
		if step == len(k.Sequence) || p.ID == ev.ID || groupKey(p, k.GroupBy) != key {
			continue
		}
		if p.OccurredAt.After(ev.OccurredAt) || (p.OccurredAt.Equal(ev.OccurredAt) && p.ID > ev.ID) {
			continue
		}
		if s := k.Sequence[step]; contains(s.EventTypes, p.Type) || (p.Category != "" && contains(s.Categories, p.Category)) {
			found = append(found, p)
			step++
		}
	}
	if step < len(k.Sequence) {
		return nil, nil
	}
	return found, nil
}

// severity is the policy's severity, raised by the first escalation whose condition holds.
func severity(p *Policy, in map[string]any) string {
	for _, e := range p.Escalate {
		if ok, err := evalBool(e.prg, in); err == nil && ok {
			return e.Severity
		}
	}
	return p.Severity
}

// EventDedupeKey keys the finding of a policy on a provider event: a redelivered event never opens a second one.
func EventDedupeKey(policyID, connectorID, providerEventID string) string {
	return fmt.Sprintf("event:%s:%s:%s", policyID, connectorID, providerEventID)
}

// EventFinding builds the finding of a match: keyed by policy, connector and provider event id.
func EventFinding(m PolicyMatch, now time.Time) sspm.Finding {
	type ref struct {
		ID              int64              `json:"id"`
		ProviderEventID string             `json:"provider_event_id"`
		Type            string             `json:"event_type"`
		OccurredAt      time.Time          `json:"occurred_at"`
		Actor           string             `json:"actor,omitempty"`
		Targets         []sspm.EventTarget `json:"targets,omitempty"`
	}
	toRef := func(e *sspm.Event) ref {
		return ref{ID: e.ID, ProviderEventID: e.ProviderEventID, Type: e.Type, OccurredAt: e.OccurredAt,
			Actor: firstNonEmpty(e.ActorDisplay, e.ActorExternalID), Targets: e.Targets}
	}
	ev := struct {
		PolicySet string   `json:"policy_set"`
		Policy    string   `json:"policy"`
		Mode      string   `json:"mode"`
		Event     ref      `json:"event"`
		Sequence  []ref    `json:"sequence,omitempty"`
		Resync    []string `json:"resync,omitempty"`
	}{PolicySet: m.Ref.Set, Policy: m.Ref.Policy.ID, Mode: firstNonEmpty(m.Ref.Policy.Mode, "active"),
		Event: toRef(m.Event), Resync: m.Ref.Policy.Resync}
	for _, s := range m.Sequence {
		ev.Sequence = append(ev.Sequence, toRef(s))
	}
	b, _ := json.Marshal(ev) // plain values: cannot fail
	subject := ""
	if len(m.Event.Targets) > 0 {
		subject = firstNonEmpty(m.Event.Targets[0].DisplayName, m.Event.Targets[0].ExternalID)
	}
	return sspm.Finding{
		DedupeKey: EventDedupeKey(m.Ref.Policy.ID, m.Event.ConnectorID, m.Event.ProviderEventID),
		Kind:      sspm.FindingEvent, ConnectorID: m.Event.ConnectorID, RulesetKey: m.Ref.Set, RuleKey: m.Ref.Policy.ID,
		Severity: m.Severity, Title: m.Ref.Policy.Title, Subject: subject, Evidence: b, SeenAt: now,
	}
}

// evalBool runs a boolean program; a nil program is true (a matcher without `when`).
func evalBool(prg cel.Program, in any) (bool, error) {
	if prg == nil {
		return true, nil
	}
	v, _, err := prg.Eval(in)
	if err != nil {
		return false, err
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("result is %s, not a bool", v.Type().TypeName())
	}
	return bool(b), nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
