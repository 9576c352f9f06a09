package rules

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"
)

//go:embed rulesets/*.yaml
var shipped embed.FS

// MaxFileSize is the largest rule document the loader reads.
const MaxFileSize = 2 << 20

// Catalog is the set of loaded, validated and compiled rulesets and event policy sets. It is immutable and safe
// for concurrent use.
type Catalog struct {
	Rulesets   []*Ruleset   // sorted by key
	PolicySets []*PolicySet // sorted by key
	env        *cel.Env
	byKey      map[string]*Ruleset
	seeds      []SeedSet
}

// Load loads the rulesets and event policies shipped in the binary.
func Load() (*Catalog, error) { return LoadFS(shipped, "rulesets") }

// LoadFS loads every .yaml or .yml document directly under dir of fsys. Symbolic links, files over
// MaxFileSize and unknown fields are refused. All problems are reported together in a *LoadError.
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read rule documents: %w", err)
	}
	files := map[string][]byte{}
	var problems []Problem
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		switch {
		case e.IsDir():
			continue
		case e.Type()&fs.ModeSymlink != 0:
			problems = append(problems, Problem{File: name, Message: "symbolic links are not loaded"})
			continue
		case !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml"):
			continue
		}
		b, err := readLimited(fsys, name)
		if err != nil {
			problems = append(problems, Problem{File: name, Message: err.Error()})
			continue
		}
		files[name] = b
	}
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	return Compile(files)
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxFileSize)
	}
	return b, nil
}

// Compile parses, validates and compiles rule documents given as file name → YAML.
func Compile(files map[string][]byte) (*Catalog, error) {
	env, err := newBaseEnv()
	if err != nil {
		return nil, err
	}
	cat := &Catalog{env: env, byKey: map[string]*Ruleset{}}
	var problems []Problem
	policyIDs := map[string]string{}
	for _, name := range sortedKeys(files) {
		doc, perr := decode(name, files[name])
		if perr != nil {
			problems = append(problems, *perr)
			continue
		}
		c := checker{file: name}
		switch {
		case doc.Ruleset != nil:
			rs := doc.Ruleset
			rs.file, c.set = name, rs.Key
			c.checkRuleset(rs)
			if prev, dup := cat.byKey[rs.Key]; dup && rs.Key != "" {
				c.addf("key", "ruleset %q is also defined in %s", rs.Key, prev.file)
			}
			if len(c.problems) == 0 {
				c.compileRuleset(env, rs)
			}
			if len(c.problems) == 0 {
				cat.byKey[rs.Key] = rs
				cat.Rulesets = append(cat.Rulesets, rs)
			}
		case doc.PolicySet != nil:
			ps := doc.PolicySet
			ps.file, c.set = name, ps.Key
			c.checkPolicySet(ps, policyIDs)
			if len(c.problems) == 0 {
				c.compilePolicySet(env, ps)
			}
			if len(c.problems) == 0 {
				cat.PolicySets = append(cat.PolicySets, ps)
			}
		}
		problems = append(problems, c.problems...)
	}
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	sort.Slice(cat.Rulesets, func(i, j int) bool { return cat.Rulesets[i].Key < cat.Rulesets[j].Key })
	sort.Slice(cat.PolicySets, func(i, j int) bool { return cat.PolicySets[i].Key < cat.PolicySets[j].Key })
	if cat.seeds, err = cat.buildSeeds(); err != nil {
		return nil, &LoadError{Problems: []Problem{{Message: err.Error()}}}
	}
	return cat, nil
}

// decode reads one document strictly: unknown fields anywhere are errors, and the envelope must match its kind.
func decode(name string, b []byte) (*document, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var doc document
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Problem{File: name, Message: "empty document"}
		}
		return nil, &Problem{File: name, Message: "yaml: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	fail := func(field, msg string) (*document, *Problem) {
		return nil, &Problem{File: name, Field: field, Message: msg}
	}
	if doc.SchemaVersion != 2 {
		return fail("schema_version", fmt.Sprintf("is %d; only 2 is supported", doc.SchemaVersion))
	}
	switch doc.Kind {
	case KindRuleset:
		if doc.Ruleset == nil || doc.PolicySet != nil {
			return fail("ruleset", "a "+KindRuleset+" document holds exactly a ruleset")
		}
	case KindPolicySet:
		if doc.PolicySet == nil || doc.Ruleset != nil {
			return fail("policy_set", "a "+KindPolicySet+" document holds exactly a policy_set")
		}
	default:
		return fail("kind", fmt.Sprintf("%q is not one of %s, %s", doc.Kind, KindRuleset, KindPolicySet))
	}
	return &doc, nil
}

// compileRuleset normalizes values to JSON kinds, sorts the rules by key and compiles every check.
func (c *checker) compileRuleset(env *cel.Env, rs *Ruleset) {
	sort.Slice(rs.Rules, func(i, j int) bool { return rs.Rules[i].Key < rs.Rules[j].Key })
	for _, r := range rs.Rules {
		c.rule = r.Key
		if r.Parameters != nil {
			d, err := jsonValues(r.Parameters.Defaults)
			if err != nil {
				c.addf("parameters.defaults", "%v", err)
				continue
			}
			r.Parameters.Defaults = d
		}
		p, err := compileCheck(env, rs, r)
		if err != nil {
			c.addf("check", "%v", err)
			continue
		}
		r.plan = p
		if p == nil {
			continue
		}
		for _, ds := range p.datasets {
			if !contains(r.Required(), ds) {
				c.addf("required_data", "must include %q, which the check reads", ds)
			}
		}
		for _, name := range p.params {
			if r.Parameters == nil || r.Parameters.Defaults[name] == nil {
				c.addf("check", "param(%q) is not a parameter default", name)
			}
		}
	}
	c.rule = ""
}

// Ruleset returns the ruleset with key, or nil.
func (c *Catalog) Ruleset(key string) *Ruleset { return c.byKey[key] }

// Rule returns a rule by ruleset and rule key, or nil.
func (c *Catalog) Rule(ref RuleRef) *Rule {
	rs := c.byKey[ref.Ruleset]
	if rs == nil {
		return nil
	}
	return rs.Rule(ref.Rule)
}

// Rule returns the ruleset's rule with key, or nil.
func (rs *Ruleset) Rule(key string) *Rule {
	i := sort.Search(len(rs.Rules), func(i int) bool { return rs.Rules[i].Key >= key })
	if i < len(rs.Rules) && rs.Rules[i].Key == key {
		return rs.Rules[i]
	}
	return nil
}

// AppliesTo reports whether the ruleset is evaluated in scope: a global ruleset in the global scope, a connector
// ruleset in the scope of a connector of its kind.
func (rs *Ruleset) AppliesTo(scope Scope) bool {
	return rs.Scope.Kind == scope.Kind && (scope.Kind != ScopeConnector || rs.Scope.ConnectorKind == scope.SourceKind)
}

// For lists the active rulesets that apply to scope: global rulesets for the global scope, and rulesets of the
// scope's connector kind for a connector instance.
func (c *Catalog) For(scope Scope) []*Ruleset {
	var out []*Ruleset
	for _, rs := range c.Rulesets {
		if rs.Status != "deprecated" && rs.AppliesTo(scope) {
			out = append(out, rs)
		}
	}
	return out
}
