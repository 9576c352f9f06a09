package rules

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/parser"
)

// Variables of the CEL environment. Rows, events and datasets are JSON values (objects as map[string]any,
// numbers as float64), so every comparison sees JSON kinds.
const (
	varRow      = "row"            // one dataset row (structured checks)
	varCount    = "selected_count" // the number of selected rows (count_compare)
	varParams   = "_params"        // effective parameters; param("p") in raw CEL
	varDatasets = "_datasets"      // rows of the available datasets; rows("ds") in raw CEL
	varEvent    = "event"          // one canonical event (event policies)
)

// celFunctions are the helpers every compiled expression may call. All are pure.
//
//	has_field(x, "a.b")  the value at the path exists and is not null
//	field(x, "a.b")      the value at the path (an error when absent: guard with has_field)
//	is_number(v), is_string(v)
//	comparable(a, b)     both numbers or both strings: what ordered operators need (D3)
//	same_kind(a, b)      same JSON kind (number, string, bool, null, list, object)
//	unlimited(row, "p")  the row lists p in unlimited_fields[] (D4)
func celFunctions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Function("has_field", cel.Overload("has_field_dyn_string", []*cel.Type{cel.DynType, cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(x, p ref.Val) ref.Val {
				_, ok := lookup(native(x), string(p.(types.String)))
				return types.Bool(ok)
			}))),
		cel.Function("field", cel.Overload("field_dyn_string", []*cel.Type{cel.DynType, cel.StringType}, cel.DynType,
			cel.BinaryBinding(func(x, p ref.Val) ref.Val {
				v, ok := lookup(native(x), string(p.(types.String)))
				if !ok {
					return types.NewErr("no value at %q", string(p.(types.String)))
				}
				return types.DefaultTypeAdapter.NativeToValue(v)
			}))),
		cel.Function("is_number", cel.Overload("is_number_dyn", []*cel.Type{cel.DynType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.Bool(jsonKind(v) == "number") }))),
		cel.Function("is_string", cel.Overload("is_string_dyn", []*cel.Type{cel.DynType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.Bool(jsonKind(v) == "string") }))),
		cel.Function("comparable", cel.Overload("comparable_dyn_dyn", []*cel.Type{cel.DynType, cel.DynType}, cel.BoolType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				ka, kb := jsonKind(a), jsonKind(b)
				return types.Bool(ka == kb && (ka == "number" || ka == "string"))
			}))),
		cel.Function("same_kind", cel.Overload("same_kind_dyn_dyn", []*cel.Type{cel.DynType, cel.DynType}, cel.BoolType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val { return types.Bool(jsonKind(a) == jsonKind(b)) }))),
		cel.Function("unlimited", cel.Overload("unlimited_dyn_string", []*cel.Type{cel.DynType, cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(x, p ref.Val) ref.Val {
				list, _ := lookup(native(x), "unlimited_fields")
				items, _ := list.([]any)
				for _, it := range items {
					if s, ok := it.(string); ok && s == string(p.(types.String)) {
						return types.True
					}
				}
				return types.False
			}))),
	}
}

// newBaseEnv is the environment every expression compiles in. Building it costs milliseconds: a Catalog builds
// it once.
func newBaseEnv() (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.Variable(varRow, cel.DynType),
		cel.Variable(varCount, cel.IntType),
		cel.Variable(varParams, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varDatasets, cel.MapType(cel.StringType, cel.ListType(cel.DynType))),
		cel.Variable(varEvent, cel.DynType),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(), ext.Bindings(), ext.Lists(),
	}
	env, err := cel.NewEnv(append(opts, celFunctions()...)...)
	if err != nil {
		return nil, fmt.Errorf("build cel environment: %w", err)
	}
	return env, nil
}

// rawEnv extends base with the raw-CEL helpers rows("ds"), has_dataset("ds") and param("p") (docs/rules-engine.md#checks).
// They are macros over the _datasets and _params variables; every dataset named by rows() is recorded in
// datasets (rows() marks a dataset required) and every parameter named by param() in params.
func rawEnv(base *cel.Env, datasets, params map[string]bool) (*cel.Env, error) {
	literal := func(eh parser.ExprHelper, fn string, arg ast.Expr) (string, *common.Error) {
		if arg.Kind() == ast.LiteralKind {
			if s, ok := arg.AsLiteral().(types.String); ok {
				return string(s), nil
			}
		}
		return "", eh.NewError(arg.ID(), fn+"() takes a string literal")
	}
	rows := cel.GlobalMacro("rows", 1, func(eh parser.ExprHelper, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
		name, err := literal(eh, "rows", args[0])
		if err != nil {
			return nil, err
		}
		datasets[name] = true
		return eh.NewCall(operators.Index, eh.NewIdent(varDatasets), args[0]), nil
	})
	has := cel.GlobalMacro("has_dataset", 1, func(eh parser.ExprHelper, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
		if _, err := literal(eh, "has_dataset", args[0]); err != nil {
			return nil, err
		}
		return eh.NewCall(operators.In, args[0], eh.NewIdent(varDatasets)), nil
	})
	param := cel.GlobalMacro("param", 1, func(eh parser.ExprHelper, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
		name, err := literal(eh, "param", args[0])
		if err != nil {
			return nil, err
		}
		params[name] = true
		return eh.NewCall(operators.Index, eh.NewIdent(varParams), args[0]), nil
	})
	return base.Extend(cel.Macros(rows, has, param))
}

// native returns the Go value behind a CEL value (rows stay map[string]any).
func native(v ref.Val) any {
	if v == nil {
		return nil
	}
	return v.Value()
}

// lookup returns the value at a dot-notation path; absent and JSON null are both "no value" (D1, D2).
func lookup(v any, path string) (any, bool) {
	for path != "" {
		seg := path
		if i := strings.IndexByte(path, '.'); i >= 0 {
			seg, path = path[:i], path[i+1:]
		} else {
			path = ""
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return v, v != nil
}

// jsonKind names the JSON kind of a CEL value.
func jsonKind(v ref.Val) string {
	switch v.Type() {
	case types.DoubleType, types.IntType, types.UintType:
		return "number"
	case types.StringType:
		return "string"
	case types.BoolType:
		return "bool"
	case types.NullType:
		return "null"
	case types.ListType:
		return "list"
	case types.MapType:
		return "object"
	}
	return v.Type().TypeName()
}
