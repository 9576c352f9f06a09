// Package rules implements Open-SSPM's posture rules and event policies: the Open SSPM spec v2 model (rulesets of
// rules whose checks read datasets of JSON rows), our recorded decisions (docs/rules-engine.md#data-quirks-we-decide), the event-policy
// format of our own (§5), and the findings the evaluator derives from both. Rulesets ship as YAML files embedded
// in the binary (rulesets/*.yaml), are validated when loaded, and their checks are compiled once to CEL programs
// that run per row.
//
// The package holds no database code: the evaluator lane (internal/lane) feeds it datasets and events and hands
// its results to the store (internal/postgres).
package rules
