package stack

import (
	"reflect"
	"slices"
	"testing"
)

// TestParameterDefaultsAreAllowed: a parameter's Default must be one of its AllowedValues as written (same JSON
// type too: cfn-lint E2015 reports the number 0 against the strings "0", "0.5", ...).
func TestParameterDefaultsAreAllowed(t *testing.T) {
	params, _ := tmpl["Parameters"].(map[string]any)
	checked := 0
	for id, p := range params {
		p := p.(map[string]any)
		allowed, ok := p["AllowedValues"].([]any)
		def, hasDefault := p["Default"]
		if !ok || !hasDefault {
			continue
		}
		checked++
		if !slices.ContainsFunc(allowed, func(v any) bool { return reflect.DeepEqual(v, def) }) {
			t.Errorf("parameter %s: Default %#v is not one of its AllowedValues %#v", id, def, allowed)
		}
	}
	if checked == 0 {
		t.Error("no parameter with a Default and AllowedValues: the check ran on nothing")
	}
}

// TestNoRedundantDependsOn: no resource's DependsOn names a resource its properties already reference through
// Ref, Fn::GetAtt or Fn::Sub (cfn-lint W3005); the DependsOn that order what no reference does remain.
func TestNoRedundantDependsOn(t *testing.T) {
	kept := 0
	for id, r := range tmpl["Resources"].(map[string]any) {
		r := r.(map[string]any)
		deps := strs(r["DependsOn"])
		if len(deps) == 0 {
			continue
		}
		refs := referencedIDs(r["Properties"])
		for _, d := range deps {
			if refs[d] {
				t.Errorf("%s (%s): DependsOn %s, which its properties already reference", id, r["Type"], d)
			} else {
				kept++
			}
		}
	}
	if kept == 0 {
		t.Error("no DependsOn left at all: the functions' dependencies on their role policies are needed")
	}
}

func TestReferencedIDs(t *testing.T) {
	give := map[string]any{
		"A": map[string]any{"Ref": "Bucket"},
		"B": []any{map[string]any{"Fn::GetAtt": []any{"Role", "Arn"}}},
		"C": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:x:${Queue.Arn}/${Topic}/${!Literal}"},
		"D": map[string]any{"Fn::Sub": []any{"${Fn}", map[string]any{"Fn": map[string]any{"Ref": "Function"}}}},
	}
	got := referencedIDs(give)
	for _, want := range []string{"Bucket", "Role", "Queue", "Topic", "Fn", "Function"} {
		if !got[want] {
			t.Errorf("%s not found in %v", want, got)
		}
	}
	if got["Literal"] || got["!Literal"] {
		t.Errorf("${!Literal} is not a reference: %v", got)
	}
}
