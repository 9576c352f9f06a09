package aws

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGrade(t *testing.T) {
	cases := []struct {
		name    string
		managed []string
		inline  string
		want    string
	}{
		{"AdministratorAccess", []string{"arn:aws:iam::aws:policy/AdministratorAccess"}, "", GradeSuper},
		{"inline star string", nil, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, GradeSuper},
		{"inline star:star list", nil, `{"Statement":[{"Effect":"Allow","Action":["*:*"],"Resource":["*"]}]}`, GradeSuper},
		{"star on one bucket", nil, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}]}`, ""},
		{"denied star", nil, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, ""},
		{"IAM write inline", nil, `{"Statement":[{"Effect":"Allow","Action":["iam:AttachRolePolicy"],"Resource":"*"}]}`, GradePrivileged},
		{"IAM read inline", nil, `{"Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"}]}`, ""},
		{"PassRole", nil, `{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`, GradePrivileged},
		{"PowerUserAccess", []string{"arn:aws:iam::aws:policy/PowerUserAccess"}, "", GradePrivileged},
		{"IAMFullAccess and star", []string{"arn:aws:iam::aws:policy/IAMFullAccess"}, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, GradeSuper},
		{"ReadOnlyAccess", []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, "", ""},
		{"malformed inline", nil, `{"Statement":`, ""},
	}
	for _, c := range cases {
		ps := &permSet{}
		for _, m := range c.managed {
			ps.ManagedPolicies = append(ps.ManagedPolicies, managedPolicy{ARN: m})
		}
		if c.inline != "" {
			ps.InlinePolicy = json.RawMessage(c.inline)
		}
		if got, reasons := grade(ps); got != c.want || (got != "" && len(reasons) == 0) {
			t.Errorf("%s: grade %q (%v), want %q", c.name, got, reasons, c.want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	ok := `{"region":"us-east-1","instance_arn":"arn:aws:sso:::instance/ssoins-1234567890abcdef","identity_store_id":"d-1234567890","role_arn":"arn:aws:iam::123456789012:role/R","external_id":"ext-1"}`
	if _, err := parseConfig(json.RawMessage(ok), false); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	bad := map[string]string{
		`{}`:                    "region is required",
		`{"region":"Virginia"}`: "region",
		`{"region":"us-east-1","instance_arn":"x"}`:                                                "instance_arn",
		`{"region":"us-east-1","identity_store_id":"x"}`:                                           "identity_store_id",
		`{"region":"us-east-1","role_arn":"arn:aws:iam::1:user/u"}`:                                "role_arn",
		`{"region":"us-east-1","external_id":"abc"}`:                                               "external_id applies only with role_arn",
		`{"region":"us-east-1","requests_per_second":50}`:                                          "requests_per_second",
		`{"region":"us-east-1","lookup_requests_per_second":5}`:                                    "lookup_requests_per_second",
		`{"region":"us-east-1","endpoint":"http://127.0.0.1:1"}`:                                   "tests and demo mode only",
		`{"region":"us-east-1","surprise":1}`:                                                      "unknown field",
		`{"region":"us-east-1","role_arn":"arn:aws:iam::123456789012:role/R","external_id":"a b"}`: "external_id",
	}
	for in, want := range bad {
		_, err := parseConfig(json.RawMessage(in), false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", in, err, want)
		}
	}
	if _, err := parseConfig(json.RawMessage(`{"region":"us-east-1","endpoint":"http://10.0.0.1:1"}`), true); err == nil {
		t.Error("a non-loopback endpoint is accepted in demo mode")
	}
	for _, s := range []string{`{"access_key_id":"AKIA0000000000000000"}`, `not json`, `{"access_key_id":"short","secret_access_key":"x"}`} {
		if _, err := parseSecret([]byte(s)); err == nil || strings.Contains(err.Error(), "AKIA") {
			t.Errorf("secret %s: %v", s, err)
		}
	}
	if k, err := parseSecret(nil); k != nil || err != nil {
		t.Errorf("an empty secret (default chain): %v %v", k, err)
	}
}
