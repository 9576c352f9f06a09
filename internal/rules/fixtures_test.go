package rules

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// compliantOkta is an Okta org whose datasets pass every automated CIS rule.
const compliantOkta = `{
 "okta:policies/sign-on": [
  {"resource_id": "okta_policy_rule:top", "display": "Top", "id": "top", "name": "STIG session", "status": "ACTIVE", "priority": 1, "is_top_rule": true,
   "policy": {"id": "p1", "type": "OKTA_SIGN_ON", "name": "Default Policy", "status": "ACTIVE", "system": true},
   "actions": {"signon": {"session": {"maxSessionIdleMinutes": 15, "maxSessionLifetimeMinutes": 1080, "usePersistentCookie": false}}}, "unlimited_fields": []},
  {"resource_id": "okta_policy_rule:default", "display": "Default Rule", "id": "default", "name": "Default Rule", "status": "ACTIVE", "priority": 2,
   "policy": {"id": "p1", "type": "OKTA_SIGN_ON", "name": "Default Policy", "status": "ACTIVE", "system": true},
   "actions": {"signon": {"session": {"maxSessionIdleMinutes": 120, "maxSessionLifetimeMinutes": 2147483647, "usePersistentCookie": true}}},
   "unlimited_fields": ["actions.signon.session.maxSessionLifetimeMinutes"]}
 ],
 "okta:policies/password": [
  {"resource_id": "okta_password_policy:pw1", "display": "Default", "id": "pw1", "name": "Default", "status": "ACTIVE", "priority": 1, "system": true,
   "settings": {"password": {"complexity": {"minLength": 15, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 1, "dictionary": {"common": {"exclude": true}}},
                             "age": {"minAgeMinutes": 1440, "maxAgeDays": 60, "historyCount": 5}, "lockout": {"maxAttempts": 3, "autoUnlockMinutes": 0}}},
   "unlimited_fields": []}
 ],
 "okta:policies/app-signin": [
  {"resource_id": "okta_policy_rule:a1:dash", "id": "a1", "name": "MFA", "status": "ACTIVE", "priority": 1, "app_label": "Okta Dashboard", "app_name": "okta_enduser",
   "access": "ALLOW", "requires_mfa": true, "requires_phishing_resistant": true},
  {"resource_id": "okta_policy_rule:a2:admin", "id": "a2", "name": "MFA", "status": "ACTIVE", "priority": 1, "app_label": "Okta Admin Console", "app_name": "saasure",
   "access": "ALLOW", "requires_mfa": true, "requires_phishing_resistant": true}
 ],
 "okta:authenticators": [
  {"resource_id": "okta_authenticator:sc", "id": "sc", "key": "smart_card_idp", "name": "Smart Card Authenticator", "status": "ACTIVE"},
  {"resource_id": "okta_authenticator:ov", "id": "ov", "key": "okta_verify", "name": "Okta Verify", "status": "ACTIVE", "okta_verify_compliance_fips": "REQUIRED"}
 ],
 "okta:apps/admin-console-settings": [
  {"resource_id": "okta_first_party_app:admin-console", "session_idle_timeout_minutes": 15, "session_max_lifetime_minutes": 720}
 ],
 "okta:log-streams": [
  {"resource_id": "okta_log_stream:ls1", "display": "SIEM", "id": "ls1", "name": "SIEM", "type": "aws_eventbridge", "status": "ACTIVE"}
 ]
}`

// oktaData returns the compliant org's datasets, changed by edit.
func oktaData(t testing.TB, edit func(ds map[string][]map[string]any)) DatasetMap {
	t.Helper()
	var ds map[string][]map[string]any
	if err := json.Unmarshal([]byte(compliantOkta), &ds); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(ds)
	}
	return DatasetMap{Rows: ds}
}

// setPath writes value at a dot path of row, creating objects on the way; value nil deletes the key.
func setPath(row map[string]any, path string, value any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := row[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			row[p] = next
		}
		row = next
	}
	if value == nil {
		delete(row, parts[len(parts)-1])
		return
	}
	row[parts[len(parts)-1]] = value
}

// evaluateRule evaluates one rule of a shipped ruleset.
func evaluateRule(t testing.TB, cat *Catalog, ruleset, rule string, data Datasets, ctl Controls, now time.Time) Result {
	t.Helper()
	rs := cat.Ruleset(ruleset)
	if rs == nil {
		t.Fatalf("no ruleset %s", ruleset)
	}
	res, err := rs.Evaluate(context.Background(), ConnectorScope("okta", "okta-1"), data, ctl, now, rule)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%d results for %s, want 1", len(res), rule)
	}
	return res[0]
}

func loadCatalog(t testing.TB) *Catalog {
	t.Helper()
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
