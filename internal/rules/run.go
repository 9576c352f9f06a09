package rules

import (
	"fmt"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// outcome is what running a check decided.
type outcome struct {
	status    Status
	reason    Reason
	errorKind ErrorKind
	selected  int
	passed    int
	count     *int
	target    *int
	affected  []Affected
}

func (o outcome) evidence() EvidenceResult {
	return EvidenceResult{Status: o.status, ReasonCode: o.reason, ErrorKind: o.errorKind, SelectedCount: o.selected,
		PassedCount: o.passed, CountValue: o.count, TargetValue: o.target}
}

// vars is the activation of a check: the current row, the selected count and the effective parameters. One is
// reused across the rows of a dataset.
type vars struct {
	row      ref.Val
	count    ref.Val
	params   ref.Val
	datasets ref.Val
}

func (v *vars) ResolveName(name string) (any, bool) {
	switch name {
	case varRow:
		return v.row, v.row != nil
	case varCount:
		return v.count, v.count != nil
	case varParams:
		return v.params, v.params != nil
	case varDatasets:
		return v.datasets, v.datasets != nil
	}
	return nil, false
}

func (v *vars) Parent() interpreter.Activation { return nil }

func newVars(params map[string]any) *vars {
	if params == nil {
		params = map[string]any{}
	}
	return &vars{params: types.DefaultTypeAdapter.NativeToValue(params)}
}

// fieldCompare runs the per-row program: rows outside the where clauses are skipped, the others pass or fail
// with a reason; then expect decides (docs/rules-engine.md#checks).
func (p *plan) fieldCompare(r *Rule, l *loaded, params map[string]any) (outcome, error) {
	v := newVars(params)
	var o outcome
	var failing []Affected
	for i, row := range l.vals {
		v.row = row
		out, _, err := p.row.Eval(v)
		if err != nil {
			return outcome{}, fmt.Errorf("row %d: %w", i, err)
		}
		s, ok := out.(types.String)
		if !ok {
			return outcome{}, fmt.Errorf("row %d: result is %s, not a string", i, out.Type().TypeName())
		}
		switch s {
		case notSelected:
			continue
		case "":
			o.selected++
			o.passed++
		default:
			o.selected++
			failing = append(failing, affected(r, l.data.Rows[i], i, Reason(s)))
		}
	}
	e := p.expect
	switch {
	case o.selected == 0:
		o.status, o.reason = Status(e.OnEmpty), ReasonEmptySelection
	case o.selected < *e.MinSelected:
		o.status, o.reason, o.affected = StatusFail, ReasonMinSelectedNotMet, failing
	case (e.Match == "any" && o.passed > 0) || (e.Match != "any" && len(failing) == 0):
		o.status, o.reason = StatusPass, ReasonAssertPassed
	default:
		o.status, o.reason, o.affected = StatusFail, commonReason(failing), failing
	}
	return o, nil
}

// commonReason is assert_failed, unless every failing row failed for the same special reason.
func commonReason(failing []Affected) Reason {
	if len(failing) == 0 {
		return ReasonAssertFailed
	}
	first := failing[0].Reason
	for _, f := range failing[1:] {
		if f.Reason != first {
			return ReasonAssertFailed
		}
	}
	return first
}

// countCompare counts the selected rows and compares the count; when it fails because too many rows matched,
// the selected rows are the affected resources.
func (p *plan) countCompare(r *Rule, l *loaded, params map[string]any) (outcome, error) {
	v := newVars(params)
	var sel []int
	for i, row := range l.vals {
		v.row = row
		out, _, err := p.row.Eval(v)
		if err != nil {
			return outcome{}, fmt.Errorf("row %d: %w", i, err)
		}
		if out == types.True {
			sel = append(sel, i)
		}
	}
	n, target := len(sel), p.target
	v.count = types.Int(n)
	ok, err := evalBool(p.compare, v)
	if err != nil {
		return outcome{}, err
	}
	o := outcome{selected: n, count: &n, target: &target, reason: ReasonCountCompare, status: StatusFail}
	if ok {
		o.status, o.passed = StatusPass, n
		return o, nil
	}
	if n > target {
		for _, i := range sel {
			o.affected = append(o.affected, affected(r, l.data.Rows[i], i, ReasonCountCompare))
		}
	}
	return o, nil
}

// rawCEL runs a raw CEL check once over every dataset it reads.
func (p *plan) rawCEL(sets map[string]*loaded, params map[string]any) (outcome, error) {
	v := newVars(params)
	lists := make(map[string]any, len(sets))
	for name, l := range sets {
		lists[name] = l.list
	}
	v.datasets = types.DefaultTypeAdapter.NativeToValue(lists)
	ok, err := evalBool(p.raw, v)
	if err != nil {
		return outcome{}, err
	}
	if ok {
		return outcome{status: StatusPass, reason: ReasonAssertPassed}, nil
	}
	return outcome{status: StatusFail, reason: ReasonAssertFailed}, nil
}

// affected identifies a row by the rule's evidence fields, else resource_id and display.
func affected(r *Rule, row map[string]any, i int, reason Reason) Affected {
	idField, displayField := "resource_id", "display"
	if r.Evidence != nil && r.Evidence.AffectedResources != nil {
		if f := r.Evidence.AffectedResources.IDField; f != "" {
			idField = f
		}
		if f := r.Evidence.AffectedResources.DisplayField; f != "" {
			displayField = f
		}
	}
	a := Affected{ID: fmt.Sprintf("row:%d", i), Reason: reason}
	if v, ok := lookup(row, idField); ok {
		a.ID = fmt.Sprint(v)
	}
	if v, ok := lookup(row, displayField); ok {
		a.Display = fmt.Sprint(v)
	}
	return a
}

func (p *plan) evidence() *EvidenceCheck {
	e := &EvidenceCheck{Engine: "cel_plan", Type: p.kind, Dataset: p.dataset, Where: p.whereExpr, Assert: p.assertExpr,
		Compare: p.compareExpr}
	switch p.kind {
	case "field_compare":
		x := p.expect
		e.Expect = &x
	case "cel":
		e.Engine, e.Assert = EngineCEL, p.celExpr
	}
	return e
}
