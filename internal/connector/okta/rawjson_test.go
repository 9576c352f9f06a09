package okta

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitArrayAndFields(t *testing.T) {
	tests := []struct {
		give    string
		want    []string
		wantErr bool
	}{
		{give: `[]`, want: nil},
		{give: ` [ {"id":"a"} , {"id":"b","x":[1,{"y":null}]} ] `, want: []string{`{"id":"a"}`, `{"id":"b","x":[1,{"y":null}]}`}},
		{give: `[1,-2.5e+3,true,false,null,"s\"\\\u00e9"]`, want: []string{`1`, `-2.5e+3`, `true`, `false`, `null`, `"s\"\\\u00e9"`}},
		{give: `[{"a":"x"}`, wantErr: true},
		{give: `[{"a":"x"},]`, wantErr: true},
		{give: `[{"a" "x"}]`, wantErr: true},
		{give: `[01]`, wantErr: true},
		{give: `[1.]`, wantErr: true},
		{give: `["\x"]`, wantErr: true},
		{give: "[\"a\tb\"]", wantErr: true},
		{give: `[tru]`, wantErr: true},
		{give: `{"a":1}`, wantErr: true},
		{give: `[] x`, wantErr: true},
		{give: "[\"\xff\"]", wantErr: true},
		{give: strings.Repeat("[", 300) + strings.Repeat("]", 300), wantErr: true},
	}
	for _, tt := range tests {
		got, err := splitArray([]byte(tt.give))
		if (err != nil) != tt.wantErr {
			t.Fatalf("splitArray(%q): err %v, want error %v", tt.give, err, tt.wantErr)
		}
		if err != nil {
			continue
		}
		if len(got) != len(tt.want) {
			t.Fatalf("splitArray(%q) = %q", tt.give, got)
		}
		for i := range got {
			if string(got[i]) != tt.want[i] {
				t.Fatalf("splitArray(%q)[%d] = %q, want %q", tt.give, i, got[i], tt.want[i])
			}
		}
	}
	f, err := fields([]byte(`{"profile":{"id":"inner"},"id":"00u1","status":"ACTIVE","n":2}`), "id", "profile", "missing")
	if err != nil || str(f[0]) != "00u1" || string(f[1]) != `{"id":"inner"}` || f[2] != nil {
		t.Fatalf("fields = %q, %v", f, err)
	}
	if str([]byte(`"a\u00e9\n"`)) != "aé\n" || str([]byte(`null`)) != "" || str(nil) != "" {
		t.Fatal("str decodes JSON strings")
	}
}

// FuzzSplitArray: the scanner agrees with encoding/json on what is a valid array and never panics.
func FuzzSplitArray(f *testing.F) {
	for _, s := range []string{`[]`, `[{"id":"a","x":[1,2,{"b":null}]},"s",-0.5e-3]`, `[{"a":"\u12"}]`, `[1,]`, `["\ud800"]`, "[\"\xbe\"]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := splitArray(b)
		var arr []json.RawMessage
		jerr := json.Unmarshal(b, &arr)
		// splitArray refuses invalid UTF-8 (an Okta answer is UTF-8; a stray byte is corruption),
		// which encoding/json would pass through as U+FFFD.
		valid := jerr == nil && arr != nil && utf8.Valid(b) && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("["))
		if err == nil && !valid {
			t.Fatalf("splitArray accepted %q that encoding/json rejects: %v", b, jerr)
		}
		if err != nil && valid && bytes.Count(b, []byte("[")) < maxDepth {
			t.Fatalf("splitArray rejected valid %q: %v", b, err)
		}
		if err == nil && len(items) != len(arr) {
			t.Fatalf("%d items, encoding/json found %d", len(items), len(arr))
		}
	})
}

func TestCategory(t *testing.T) {
	for give, want := range map[string]string{
		"user.authentication.sso": "auth.signin", "user.session.start": "auth.signin", "user.mfa.factor.deactivate": "auth.mfa.remove",
		"user.account.privilege.grant": "iam.role.grant", "policy.rule.update": "policy.change", "app.oauth2.as.consent.grant": "oauth.grant",
		"group.user_membership.add": "membership.add", "user.lifecycle.delete.initiated": "user.delete", "system.org.rate_limit.warning": "system",
		"policyx.thing": "policyx", "": "",
	} {
		if got := category(give); got != want {
			t.Errorf("category(%q) = %q, want %q", give, got, want)
		}
	}
}

func TestAssurance(t *testing.T) {
	decode := func(s string) rule {
		var r rule
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		give            string
		wantMFA, wantPR bool
	}{
		{`{"actions":{"appSignOn":{"access":"DENY"}}}`, true, true},
		{`{"actions":{"appSignOn":{"access":"ALLOW","verificationMethod":{"type":"ASSURANCE","factorMode":"1FA","constraints":[]}}}}`, false, false},
		{`{"actions":{"appSignOn":{"access":"ALLOW","verificationMethod":{"type":"ASSURANCE","factorMode":"2FA","constraints":[{"possession":{"deviceBound":"REQUIRED"}}]}}}}`, true, false},
		{`{"actions":{"appSignOn":{"access":"ALLOW","verificationMethod":{"type":"ASSURANCE","factorMode":"2FA","constraints":[{"possession":{"phishingResistant":"REQUIRED"}}]}}}}`, true, true},
		{`{"actions":{"appSignOn":{"access":"ALLOW","verificationMethod":{"type":"AUTH_METHOD_CHAIN","chains":[{"authenticationMethods":[{"key":"okta_password","method":"password"}],"next":[{"authenticationMethods":[{"key":"okta_verify","method":"signed_nonce"}]}]}]}}}}`, true, false},
		{`{"actions":{"appSignOn":{"access":"ALLOW","verificationMethod":{"type":"AUTH_METHOD_CHAIN","chains":[{"authenticationMethods":[{"key":"okta_verify","method":"signed_nonce"}]}]}}}}`, false, true},
	}
	for _, tt := range tests {
		if mfa, pr := assurance(decode(tt.give)); mfa != tt.wantMFA || pr != tt.wantPR {
			t.Errorf("assurance(%s) = %v, %v; want %v, %v", tt.give, mfa, pr, tt.wantMFA, tt.wantPR)
		}
	}
}
