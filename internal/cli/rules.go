package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/open-sspm/open-sspm/internal/rules"
)

// rulesCmd works with the rulesets shipped in the binary, offline (no database):
//
//	rules list [--json]
//	rules doc
//	rules eval --ruleset KEY --input FILE.json [--json]
//
// The input maps dataset keys (e.g. "okta:policies/password") to arrays of rows, as the spec's test cases do;
// a dataset absent from it is missing_dataset. "-" reads standard input.
func (c *command) rulesCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("rules: want list, doc or eval")
	}
	switch args[0] {
	case "list":
		return c.rulesList(args[1:])
	case "doc":
		cat, err := rules.Load()
		if err != nil {
			return err
		}
		return cat.WriteReference(c.stdout)
	case "eval":
		return c.rulesEval(ctx, args[1:])
	}
	return fmt.Errorf("rules: unknown subcommand %q (want list, doc or eval)", args[0])
}

func (c *command) rulesList(args []string) error {
	fs := c.flags("rules list")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cat, err := rules.Load()
	if err != nil {
		return err
	}
	type entry struct {
		Key           string `json:"key"`
		Kind          string `json:"kind"`
		Scope         string `json:"scope"`
		ConnectorKind string `json:"connector_kind,omitempty"`
		Rules         int    `json:"rules"`
		Automated     int    `json:"automated"`
		Manual        int    `json:"manual"` // decided by attestation only
		Name          string `json:"name"`
	}
	var out []entry
	for _, rs := range cat.Rulesets {
		e := entry{Key: rs.Key, Kind: "ruleset", Scope: rs.Scope.Kind, ConnectorKind: rs.Scope.ConnectorKind, Name: rs.Name}
		for _, r := range rs.Rules {
			if !r.Active() {
				continue
			}
			e.Rules++
			if r.Manual() {
				e.Manual++
			} else {
				e.Automated++
			}
		}
		out = append(out, e)
	}
	for _, ps := range cat.PolicySets {
		out = append(out, entry{Key: ps.Key, Kind: "event_policies", Scope: "connector", Rules: len(ps.Policies),
			Automated: len(ps.Policies), Name: ps.Name})
	}
	if *asJSON {
		return writeJSON(c.stdout, out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tKIND\tSCOPE\tRULES\tAUTOMATED\tMANUAL\tNAME")
	for _, e := range out {
		scope := e.Scope
		if e.ConnectorKind != "" {
			scope += ":" + e.ConnectorKind
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", e.Key, e.Kind, scope, e.Rules, e.Automated, e.Manual, e.Name)
	}
	return tw.Flush()
}

// evalResult is one rule's result as `rules eval --json` prints it.
type evalResult struct {
	RuleKey   string `json:"rule_key"`
	Status    string `json:"status"`
	Reason    string `json:"reason_code"`
	ErrorKind string `json:"error_kind,omitempty"`
	Severity  string `json:"severity"`
	Selected  int    `json:"selected"`
	Passed    int    `json:"passed"`
	Summary   string `json:"summary"`
	Title     string `json:"title"`
}

func (c *command) rulesEval(ctx context.Context, args []string) error {
	fs := c.flags("rules eval")
	key := fs.String("ruleset", "", "the ruleset key (see `rules list`)")
	input := fs.String("input", "", "JSON file mapping dataset keys to arrays of rows (- for standard input)")
	datasets := fs.String("datasets", "", "alias of --input")
	asJSON := fs.Bool("json", false, "print a JSON array of {rule_key, status, ...}")
	failOnFail := fs.Bool("fail-on-fail", false, "exit with status 1 when a rule fails or errors (for CI)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *input == "" {
		*input = *datasets
	}
	if *key == "" || *input == "" {
		return errors.New("rules eval: --ruleset and --input are required")
	}
	cat, err := rules.Load()
	if err != nil {
		return err
	}
	rs := cat.Ruleset(*key)
	if rs == nil {
		return fmt.Errorf("ruleset %s not found (see `open-sspm rules list`)", *key)
	}
	data, err := readDatasets(*input, c.stdinReader())
	if err != nil {
		return err
	}
	scope := rules.GlobalScope()
	if rs.Scope.Kind == rules.ScopeConnector {
		scope = rules.ConnectorScope(rs.Scope.ConnectorKind, "offline")
	}
	results, err := rs.Evaluate(ctx, scope, data, rules.Controls{}, time.Now())
	if err != nil {
		return err
	}
	out := make([]evalResult, len(results))
	failed := false
	for i, r := range results {
		out[i] = evalResult{RuleKey: r.RuleKey, Status: string(r.Status), Reason: string(r.Reason), ErrorKind: string(r.ErrorKind),
			Severity: r.Severity, Selected: r.Selected, Passed: r.Passed, Summary: r.Summary, Title: r.Title}
		failed = failed || r.Status == rules.StatusFail || r.Status == rules.StatusError
	}
	if *asJSON {
		err = writeJSON(c.stdout, out)
	} else {
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tSTATUS\tREASON\tSEVERITY\tSUMMARY")
		for _, r := range out {
			reason := r.Reason
			if r.ErrorKind != "" && !strings.Contains(reason, r.ErrorKind) {
				reason += " (" + r.ErrorKind + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.RuleKey, r.Status, reason, r.Severity, r.Summary)
		}
		err = tw.Flush()
	}
	if err == nil && *failOnFail && failed {
		return errors.New("some rules failed")
	}
	return err
}

// stdinReader is standard input (a seam for tests).
func (c *command) stdinReader() io.Reader { return os.Stdin }

// readDatasets reads the offline input: a JSON object of dataset key → array of row objects. Numbers decode to
// float64, as the store's rows do.
func readDatasets(path string, stdin io.Reader) (rules.DatasetMap, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 256<<20))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return rules.DatasetMap{}, fmt.Errorf("read input: %w", err)
	}
	var in map[string][]map[string]any
	if err := json.Unmarshal(b, &in); err != nil {
		return rules.DatasetMap{}, fmt.Errorf("input %s: want a JSON object mapping dataset keys to arrays of row objects: %w", path, err)
	}
	return rules.DatasetMap{Rows: in}, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
