package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
)

// ParamError says which parameter is invalid and why.
type ParamError struct {
	Param   string
	Message string
}

func (e *ParamError) Error() string { return fmt.Sprintf("parameter %s: %s", e.Param, e.Message) }

// EffectiveParams merges override into the rule's defaults (objects key by key, recursively; arrays and
// scalars replace) and validates every effective value against the rule's schema (docs/rules-engine.md#parameters). An override
// key that is not a default is rejected. The error is a *ParamError.
func (r *Rule) EffectiveParams(override map[string]any) (map[string]any, error) {
	var defaults map[string]any
	var schema map[string]ParamSchema
	if r.Parameters != nil {
		defaults, schema = r.Parameters.Defaults, r.Parameters.Schema
	}
	override, err := jsonValues(override)
	if err != nil {
		return nil, &ParamError{Param: "*", Message: err.Error()}
	}
	for _, k := range sortedKeys(override) {
		if _, ok := defaults[k]; !ok {
			return nil, &ParamError{Param: k, Message: "is not a parameter of this rule"}
		}
	}
	merged, _ := mergeValue(defaults, override).(map[string]any)
	for _, k := range sortedKeys(merged) {
		if err := checkParam(k, schema[k], merged[k], schema != nil); err != nil {
			return nil, err
		}
	}
	return merged, nil
}

// mergeValue deep-merges o over d: objects merge key by key, anything else in o replaces d.
func mergeValue(d, o any) any {
	dm, dok := d.(map[string]any)
	om, ook := o.(map[string]any)
	if o == nil && !ook {
		if dok {
			return copyMap(dm)
		}
		return d
	}
	if !dok || !ook {
		return o
	}
	out := copyMap(dm)
	for k, v := range om {
		if v == nil { // an explicit null stays null, and validation rejects it
			out[k] = nil
			continue
		}
		out[k] = mergeValue(dm[k], v)
	}
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// checkParam validates one effective value: never null; with a schema entry, its type, inclusive bounds and
// enum.
func checkParam(name string, s ParamSchema, v any, hasSchema bool) error {
	if v == nil {
		return &ParamError{Param: name, Message: "must not be null"}
	}
	if !hasSchema || s.Type == "" {
		return nil
	}
	bad := func(format string, args ...any) error {
		return &ParamError{Param: name, Message: fmt.Sprintf(format, args...)}
	}
	f, isNum := number(v)
	switch s.Type {
	case "string":
		if _, ok := v.(string); !ok {
			return bad("must be a string")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("must be a boolean")
		}
	case "integer":
		if !isNum || math.IsInf(f, 0) || math.IsNaN(f) || f != math.Trunc(f) {
			return bad("must be a whole number")
		}
	case "number":
		if !isNum || math.IsInf(f, 0) || math.IsNaN(f) {
			return bad("must be a finite number")
		}
	case "array":
		if _, ok := v.([]any); !ok {
			return bad("must be an array")
		}
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return bad("must be an object")
		}
	default:
		return bad("schema type %q is not one of string, boolean, integer, number, array, object", s.Type)
	}
	if isNum && s.Minimum != nil && f < *s.Minimum {
		return bad("must be at least %v", *s.Minimum)
	}
	if isNum && s.Maximum != nil && f > *s.Maximum {
		return bad("must be at most %v", *s.Maximum)
	}
	if len(s.Enum) > 0 {
		for _, e := range s.Enum {
			if jsonEqual(e, v) {
				return nil
			}
		}
		return bad("must be one of %v", s.Enum)
	}
	return nil
}

// jsonValues normalizes a value tree to JSON kinds (numbers become float64), as rows and parameters are
// compared.
func jsonValues(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode parameters: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode parameters: %w", err)
	}
	return out, nil
}

func jsonEqual(a, b any) bool {
	fa, oka := number(a)
	fb, okb := number(b)
	if oka && okb {
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
