package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Ruleset kinds as stored.
const (
	SetPosture  = "posture"
	SetPolicies = "event_policies"
)

// Seeds returns every ruleset and policy set of the catalog in its canonical form (JSON with sorted keys). The
// slices are the caller's.
func (c *Catalog) Seeds() []SeedSet {
	out := make([]SeedSet, len(c.seeds))
	for i, s := range c.seeds {
		s.Rules = append([]SeedRule(nil), s.Rules...)
		out[i] = s
	}
	return out
}

// buildSeeds computes the canonical forms once, when the catalog is compiled.
func (c *Catalog) buildSeeds() (out []SeedSet, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%v", p)
		}
	}()
	for _, rs := range c.Rulesets {
		def, hash := canonical(rs)
		s := SeedSet{Key: rs.Key, Kind: SetPosture, Name: rs.Name, ScopeKind: rs.Scope.Kind,
			ConnectorKind: rs.Scope.ConnectorKind, Status: firstNonEmpty(rs.Status, "active"), Definition: def, Hash: hash}
		for _, r := range rs.Rules {
			rdef, rhash := canonical(r)
			params := json.RawMessage(`{}`)
			if r.Parameters != nil {
				params, _ = canonical(r.Parameters)
			}
			s.Rules = append(s.Rules, SeedRule{Key: r.Key, Title: r.Title, Severity: r.Severity,
				Monitoring: r.Monitoring.Status, RequiredData: append([]string{}, r.Required()...), Parameters: params,
				Definition: rdef, Hash: rhash, Active: r.Active()})
		}
		out = append(out, s)
	}
	for _, ps := range c.PolicySets {
		def, hash := canonical(ps)
		s := SeedSet{Key: ps.Key, Kind: SetPolicies, Name: ps.Name, ScopeKind: ScopeGlobal, Status: "active",
			Definition: def, Hash: hash}
		for _, p := range ps.Policies {
			pdef, phash := canonical(p)
			s.Rules = append(s.Rules, SeedRule{Key: p.ID, Title: p.Title, Severity: p.Severity, Monitoring: "automated",
				RequiredData: []string{}, Parameters: json.RawMessage(`{}`), Definition: pdef, Hash: phash, Active: true})
		}
		out = append(out, s)
	}
	return out, nil
}

// canonical serialises a definition as JSON (struct fields in declaration order, map keys sorted) and hashes
// it.
func canonical(v any) (json.RawMessage, string) {
	b, err := json.Marshal(v)
	if err != nil { // a YAML value JSON cannot hold (a map with non-string keys): buildSeeds reports it
		panic("canonical definition: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}
