package rules

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// BenchmarkCISRuleset evaluates every CIS rule over a large Okta org: 60 sign-on rules, 40 password policies,
// 2,000 (access rule, app) rows, 15 authenticators, 5 log streams.
func BenchmarkCISRuleset(b *testing.B) {
	cat := loadCatalog(b)
	data := oktaData(b, func(ds map[string][]map[string]any) {
		grow := func(name string, n int) {
			base := ds[name][0]
			for i := len(ds[name]); i < n; i++ {
				row := clone(base)
				row["resource_id"] = fmt.Sprint(name, ":", i)
				ds[name] = append(ds[name], row)
			}
		}
		grow("okta:policies/sign-on", 60)
		grow("okta:policies/password", 40)
		grow("okta:policies/app-signin", 2000)
		grow("okta:authenticators", 15)
		grow("okta:log-streams", 5)
	})
	rs := cat.Ruleset(cis)
	b.ResetTimer()
	for b.Loop() {
		if _, err := rs.Evaluate(context.Background(), ConnectorScope("okta", "o"), data, Controls{}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNormalizedAccounts evaluates the normalized ruleset's account rules over 100,000 accounts (the
// datasets already decoded; the store's part is measured in internal/postgres).
func BenchmarkNormalizedAccounts(b *testing.B) {
	cat := loadCatalog(b)
	rows := make([]map[string]any, 100_000)
	for i := range rows {
		rows[i] = map[string]any{"resource_id": fmt.Sprint("account:okta:", i), "display": fmt.Sprint("user", i),
			"source_kind": "okta", "source_name": "okta", "account_kind": "human", "status": "active", "user_type": "member",
			"is_admin": i%100 == 0, "admin_tier": map[bool]string{true: "privileged", false: "none"}[i%100 == 0],
			"mfa_state": "enrolled", "mfa_strength": "strong", "last_login_known": true, "days_since_last_login": float64(i % 120),
			"days_since_created": 400.0, "managed": true, "is_authoritative_source": i%2 == 0}
	}
	data := DatasetMap{Rows: map[string][]map[string]any{DatasetAccounts: rows}, Errors: map[string]ErrorKind{
		DatasetIdentities: ErrMissingDataset, DatasetEntitlements: ErrMissingDataset, DatasetCredentials: ErrMissingDataset, DatasetOAuthGrants: ErrMissingDataset}}
	rs := cat.Ruleset("opensspm.normalized.access_hygiene.v1")
	b.ResetTimer()
	for b.Loop() {
		if _, err := rs.Evaluate(context.Background(), GlobalScope(), data, Controls{}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventPolicies matches 10,000 Okta events (a tenth of them policy-relevant) against the catalogue.
func BenchmarkEventPolicies(b *testing.B) {
	cat := loadCatalog(b)
	types := []string{"user.session.start", "user.authentication.sso", "app.oauth2.token.grant", "user.session.end",
		"user.account.privilege.grant", "user.session.start", "user.authentication.sso", "policy.rule.update", "user.session.start", "user.session.end"}
	events := make([]sspm.Event, 10_000)
	for i := range events {
		events[i] = oktaEvent(int64(i), types[i%len(types)], "SUCCESS", []sspm.EventTarget{{Type: "User", ExternalID: fmt.Sprint("00u", i%500), DisplayName: "u"}},
			`{"debugContext":{"debugData":{"privilegeGranted":"Help desk administrator"}},"target":[{"type":"PolicyEntity","detailEntry":{"policyType":"PASSWORD"}}]}`)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := cat.MatchEvents(context.Background(), "okta", events, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = clone(sub)
		}
		out[k] = v
	}
	return out
}
