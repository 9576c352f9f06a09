package rules

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"cel.dev/cel-go/cel"
)

// plan is a compiled check: CEL programs compiled once and evaluated per row (structured checks) or once per
// evaluation (raw CEL). Rows not selected by the where clauses evaluate to notSelected; selected rows to "" when
// they pass the assert, else to the reason they failed.
type plan struct {
	kind     string // field_compare, count_compare, cel
	dataset  string
	expect   Expect // explicit values (v2 compiler defaults applied)
	policy   CheckPolicy
	params   []string // parameters the check reads
	datasets []string // every dataset the check reads (sorted)

	whereExpr, assertExpr, compareExpr, celExpr string
	row                                         cel.Program // field_compare: string per row; count_compare: bool per row
	compare                                     cel.Program // count_compare: bool over selected_count
	raw                                         cel.Program // raw CEL: bool
	target                                      int
}

const notSelected = "~"

// compileCheck compiles r's check in the context of its ruleset; the check has been validated.
func compileCheck(env *cel.Env, rs *Ruleset, r *Rule) (*plan, error) {
	c := r.Check
	if c == nil || c.Type == CheckManual {
		return nil, nil
	}
	p := &plan{policy: mergePolicy(rs.Defaults, c.CheckPolicy)}
	if c.Engine == EngineCEL {
		return compileRaw(env, p, c)
	}
	dataset, where := c.Dataset, c.Where
	if c.Selector != "" {
		sel := rs.Selectors[c.Selector]
		dataset, where = sel.Dataset, append(append([]Predicate{}, sel.Where...), c.Where...)
	}
	p.dataset, p.datasets = dataset, []string{dataset}
	var clauses []string
	for _, w := range where {
		clauses = append(clauses, whereClause(w))
		p.addParam(w.ValueParam)
	}
	p.whereExpr = "true"
	if len(clauses) > 0 {
		p.whereExpr = strings.Join(clauses, " && ")
	}
	var rowExpr string
	switch c.Type {
	case CheckFieldCompare:
		p.kind = "field_compare"
		p.expect = explicitExpect(c.Expect)
		p.assertExpr = assertExpr(*c.Assert)
		p.addParam(c.Assert.ValueParam)
		rowExpr = fmt.Sprintf("!(%s) ? %q : (%s)", p.whereExpr, notSelected, p.assertExpr)
	case CheckCountCompare:
		p.kind = "count_compare"
		p.target = *c.Compare.Value
		p.compareExpr = fmt.Sprintf("%s %s %d", varCount, celOps[c.Compare.Op], *c.Compare.Value)
		rowExpr = p.whereExpr
		prg, err := program(env, p.compareExpr, cel.BoolType)
		if err != nil {
			return nil, err
		}
		p.compare = prg
	}
	out := cel.StringType
	if p.kind == "count_compare" {
		out = cel.BoolType
	}
	prg, err := program(env, rowExpr, out)
	if err != nil {
		return nil, err
	}
	p.row = prg
	return p, nil
}

func compileRaw(env *cel.Env, p *plan, c *Check) (*plan, error) {
	p.kind, p.celExpr = "cel", c.Expression
	seen, params := map[string]bool{}, map[string]bool{}
	renv, err := rawEnv(env, seen, params)
	if err != nil {
		return nil, err
	}
	prg, err := program(renv, c.Expression, cel.BoolType)
	if err != nil {
		return nil, err
	}
	p.raw = prg
	for ds := range seen {
		p.datasets = append(p.datasets, ds)
	}
	sort.Strings(p.datasets)
	for name := range params {
		p.addParam(name)
	}
	sort.Strings(p.params)
	return p, nil
}

func (p *plan) addParam(name string) {
	if name != "" && !contains(p.params, name) {
		p.params = append(p.params, name)
	}
}

// program compiles and type-checks expr, requiring the given output type.
func program(env *cel.Env, expr string, out *cel.Type) (cel.Program, error) {
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("compile %q: %w", expr, iss.Err())
	}
	if !ast.OutputType().IsExactType(out) && !ast.OutputType().IsExactType(cel.DynType) {
		return nil, fmt.Errorf("compile %q: result is %s, want %s", expr, ast.OutputType(), out)
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("plan %q: %w", expr, err)
	}
	return prg, nil
}

var celOps = map[string]string{"eq": "==", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

// operand is the CEL for a predicate's right-hand side: a literal, or the parameter it names.
func operand(p Predicate) string {
	if p.ValueParam != "" {
		return fmt.Sprintf("%s[%q]", varParams, p.ValueParam)
	}
	return literal(p.Value)
}

// whereClause selects a row: a missing field makes every operator false (D2); ordered operators need two
// numbers or two strings (D3).
func whereClause(p Predicate) string {
	f := fmt.Sprintf("field(%s, %q)", varRow, p.Path)
	has := fmt.Sprintf("has_field(%s, %q)", varRow, p.Path)
	v := operand(p)
	switch p.Op {
	case "in":
		return fmt.Sprintf("(%s && %s in %s)", has, f, v)
	case "nin":
		return fmt.Sprintf("(%s && !(%s in %s))", has, f, v)
	case "eq", "neq":
		return fmt.Sprintf("(%s && %s %s %s)", has, f, celOps[p.Op], v)
	}
	return fmt.Sprintf("(%s && comparable(%s, %s) && %s %s %s)", has, f, v, f, celOps[p.Op], v)
}

// assertExpr evaluates to "" when a row passes, else to why it failed: missing_field for an absent field under
// every operator (D1), type_mismatch for kinds that cannot compare (D3), unlimited_value when the failing path
// is listed in the row's unlimited_fields (D4), else assert_failed.
func assertExpr(p Predicate) string {
	f := fmt.Sprintf("field(%s, %q)", varRow, p.Path)
	v := operand(p)
	failed := fmt.Sprintf("(unlimited(%s, %q) ? %q : %q)", varRow, p.Path, ReasonUnlimitedValue, ReasonAssertFailed)
	var test, kinds string
	switch p.Op {
	case "in":
		test = fmt.Sprintf("%s in %s", f, v)
	case "nin":
		test = fmt.Sprintf("!(%s in %s)", f, v)
	case "eq":
		test = fmt.Sprintf("%s == %s", f, v)
		// eq never coerces: a value of another kind fails as a type mismatch.
		failed = fmt.Sprintf("(same_kind(%s, %s) ? %s : %q)", f, v, failed, ReasonTypeMismatch)
	case "neq":
		test = fmt.Sprintf("%s != %s", f, v)
	default:
		test = fmt.Sprintf("%s %s %s", f, celOps[p.Op], v)
		kinds = fmt.Sprintf("!comparable(%s, %s) ? %q : ", f, v, ReasonTypeMismatch)
	}
	return fmt.Sprintf("!has_field(%s, %q) ? %q : %s(%s ? \"\" : %s)", varRow, p.Path, ReasonMissingField, kinds, test, failed)
}

// literal renders a JSON-kind value as a CEL literal; numbers are doubles, as in rows.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if f, ok := number(v); ok {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".eE") && !math.IsInf(f, 0) && !math.IsNaN(f) {
			s += ".0"
		}
		return s
	}
	return strconv.Quote(fmt.Sprint(v))
}

// number converts Go numeric kinds (from YAML or JSON) to float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}

// explicitExpect applies the v2 compiler defaults: match all, min_selected 1, on_empty fail.
func explicitExpect(e *Expect) Expect {
	out := Expect{Match: "all", OnEmpty: string(StatusFail)}
	one := 1
	out.MinSelected = &one
	if e == nil {
		return out
	}
	if e.Match != "" {
		out.Match = e.Match
	}
	if e.MinSelected != nil {
		n := *e.MinSelected
		out.MinSelected = &n
	}
	if e.OnEmpty != "" {
		out.OnEmpty = e.OnEmpty
	}
	return out
}

// mergePolicy applies the ruleset defaults first, then the check's own values; unset means unknown.
func mergePolicy(d *RulesetDefaults, c CheckPolicy) CheckPolicy {
	out := CheckPolicy{OnMissingDataset: "unknown", OnPermissionDenied: "unknown", OnSyncError: "unknown"}
	for _, src := range []CheckPolicy{defaultsOf(d), c} {
		if src.OnMissingDataset != "" {
			out.OnMissingDataset = src.OnMissingDataset
		}
		if src.OnPermissionDenied != "" {
			out.OnPermissionDenied = src.OnPermissionDenied
		}
		if src.OnSyncError != "" {
			out.OnSyncError = src.OnSyncError
		}
	}
	return out
}

func defaultsOf(d *RulesetDefaults) CheckPolicy {
	if d == nil {
		return CheckPolicy{}
	}
	return d.Check
}

// action returns the policy action for a dataset error kind.
func (c CheckPolicy) action(k ErrorKind) string {
	switch k {
	case ErrMissingIntegration, ErrMissingDataset:
		return c.OnMissingDataset
	case ErrPermissionDenied:
		return c.OnPermissionDenied
	}
	return c.OnSyncError
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
