package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesEvalOffline(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.json")
	row := `{"resource_id":"a1","display":"a1","source_kind":"okta","source_name":"okta","account_kind":"human","status":"active",
		"user_type":"member","is_admin":false,"admin_tier":"none","mfa_state":"not_enrolled","mfa_strength":"none","last_login_known":true,
		"days_since_last_login":10,"days_since_created":400,"managed":true,"is_authoritative_source":true}`
	if err := os.WriteFile(in, []byte(`{"normalized:accounts":[`+row+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	c := &command{stdout: &out, stderr: &errOut}
	if err := c.rulesCmd(context.Background(), []string{"eval", "--ruleset", "opensspm.normalized.access_hygiene.v1", "--input", in, "--json"}); err != nil {
		t.Fatal(err, errOut.String())
	}
	var res []struct {
		RuleKey string `json:"rule_key"`
		Status  string `json:"status"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, r := range res {
		status[r.RuleKey] = r.Status
	}
	if status["NORM-MFA-001"] != "fail" || status["NORM-STALE-001"] != "pass" {
		t.Fatalf("results = %v", status)
	}
	out.Reset()
	if err := c.rulesCmd(context.Background(), []string{"eval", "--ruleset", "opensspm.normalized.access_hygiene.v1", "--datasets", in}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "NORM-MFA-001") || !strings.Contains(out.String(), "RULE") {
		t.Fatalf("table = %s", out.String())
	}
	out.Reset()
	if err := c.rulesCmd(context.Background(), []string{"list"}); err != nil || !strings.Contains(out.String(), "cis.okta.idaas_stig.v2") {
		t.Fatalf("list: %v\n%s", err, out.String())
	}
	if err := c.rulesCmd(context.Background(), []string{"eval", "--ruleset", "nope", "--input", in}); err == nil {
		t.Fatal("unknown ruleset accepted")
	}
}

// The attestation-only rules of CIS Okta (000090, 000200, 001920) are manual, not automated.
func TestRulesListCountsManualRules(t *testing.T) {
	var out bytes.Buffer
	c := &command{stdout: &out, stderr: &out}
	if err := c.rulesCmd(context.Background(), []string{"list", "--json"}); err != nil {
		t.Fatal(err, out.String())
	}
	var sets []struct {
		Key       string `json:"key"`
		Rules     int    `json:"rules"`
		Automated int    `json:"automated"`
		Manual    int    `json:"manual"`
	}
	if err := json.Unmarshal(out.Bytes(), &sets); err != nil {
		t.Fatal(err)
	}
	type counts struct{ rules, automated, manual int }
	want := map[string]counts{
		"cis.okta.idaas_stig.v2":                {24, 21, 3},
		"opensspm.normalized.access_hygiene.v1": {22, 22, 0},
	}
	for _, s := range sets {
		w, ok := want[s.Key]
		if !ok {
			continue
		}
		delete(want, s.Key)
		if got := (counts{s.Rules, s.Automated, s.Manual}); got != w {
			t.Errorf("%s: rules/automated/manual = %v, want %v", s.Key, got, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("rulesets missing from the list: %v", want)
	}
}
