package rules

import (
	"errors"
	"testing"
)

// FuzzCompile: a rule document (the shipped files' format; operators may load their own) never panics the loader or
// the CEL compiler. A rejection is a *LoadError naming its problems; what is accepted compiles to the same seeds
// again.
func FuzzCompile(f *testing.F) {
	for _, name := range []string{"cis_okta_idaas_stig_v2.yaml", "event_policies_v1.yaml", "normalized_access_hygiene_v1.yaml"} {
		b, err := shipped.ReadFile("rulesets/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(doc(validHead + "  rules:\n    - key: R-1\n      title: R-1\n      severity: low\n      monitoring: {status: manual}\n")))
	f.Add([]byte("schema_version: 2\nkind: opensspm.policy_set\npolicy_set: {key: x, policies: [{id: EV-1, match: {}, check: {expr: 'size(', language: cel}}]}\n"))
	f.Add([]byte("schema_version: 2\nkind: x\n"))
	f.Add([]byte("&a [*a, *a, *a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		cat, err := Compile(map[string][]byte{"fuzz.yaml": b})
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error %T %v is not a LoadError with problems", err, err)
			}
			return
		}
		again, err := Compile(map[string][]byte{"fuzz.yaml": b})
		if err != nil {
			t.Fatalf("accepted once, rejected the second time: %v", err)
		}
		if len(cat.seeds) != len(again.seeds) {
			t.Fatalf("seeds differ between two compiles: %d, %d", len(cat.seeds), len(again.seeds))
		}
	})
}
