package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

func oktaEvent(id int64, typ, outcome string, targets []sspm.EventTarget, raw string) sspm.Event {
	return sspm.Event{ID: id, ConnectorID: "okta-1", SourceKind: "okta", ProviderEventID: "uuid-" + string(rune('a'+id)),
		Type: typ, Outcome: outcome, ActorExternalID: "00uadmin", ActorDisplay: "Admin", Source: "tail",
		OccurredAt: time.Date(2026, 6, 1, 10, 0, int(id), 0, time.UTC), Targets: targets, Raw: json.RawMessage(raw)}
}

func TestEventPolicies(t *testing.T) {
	cat := loadCatalog(t)
	user := []sspm.EventTarget{{Type: "User", ExternalID: "00ubob", DisplayName: "Bob"}}
	tests := []struct {
		name    string
		give    sspm.Event
		want    string // policy id, "" for no match
		wantSev string
	}{
		{"admin role granted", oktaEvent(1, "user.account.privilege.grant", "SUCCESS", user, `{"debugContext":{"debugData":{"privilegeGranted":"Application administrator"}}}`), "EV-001", "high"},
		{"super admin granted is critical", oktaEvent(2, "user.account.privilege.grant", "SUCCESS", user, `{"debugContext":{"debugData":{"privilegeGranted":"Super administrator"}}}`), "EV-001", "critical"},
		{"failed grant", oktaEvent(3, "user.account.privilege.grant", "FAILURE", user, `{}`), "", ""},
		{"factor reset", oktaEvent(4, "user.mfa.factor.reset_all", "SUCCESS", user, `{}`), "EV-002", "high"},
		{"admin's factor reset is critical", oktaEvent(11, "user.mfa.factor.deactivate", "SUCCESS", []sspm.EventTarget{{Type: "User", ExternalID: "00uann", DisplayName: "Ann", IsAdmin: true}}, `{}`), "EV-002", "critical"},
		{"api token", oktaEvent(5, "system.api_token.create", "SUCCESS", nil, `{}`), "EV-003", "medium"},
		{"password policy changed", oktaEvent(6, "policy.lifecycle.update", "SUCCESS", nil, `{"target":[{"type":"PolicyEntity","detailEntry":{"policyType":"PASSWORD"}}]}`), "EV-004", "medium"},
		{"other policy type changed", oktaEvent(7, "policy.lifecycle.update", "SUCCESS", nil, `{"target":[{"type":"PolicyEntity","detailEntry":{"policyType":"IDP_DISCOVERY"}}]}`), "", ""},
		{"privileged consent", oktaEvent(8, "app.oauth2.as.consent.grant", "SUCCESS", []sspm.EventTarget{{Type: "Scope", ExternalID: "s", DisplayName: "okta.users.manage"}}, `{}`), "EV-006", "high"},
		{"ordinary consent", oktaEvent(9, "app.oauth2.as.consent.grant", "SUCCESS", []sspm.EventTarget{{Type: "Scope", ExternalID: "s", DisplayName: "openid"}}, `{}`), "", ""},
		{"sign-in", oktaEvent(10, "user.session.start", "SUCCESS", user, `{}`), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cat.MatchEvents(context.Background(), "okta", []sspm.Event{tt.give}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("matched %s, want no match", got[0].Ref.Policy.ID)
				}
				return
			}
			if len(got) != 1 || got[0].Ref.Policy.ID != tt.want || got[0].Severity != tt.wantSev {
				t.Fatalf("matches = %+v, want %s at %s", got, tt.want, tt.wantSev)
			}
			f := EventFinding(got[0], time.Now())
			if f.DedupeKey != EventDedupeKey(tt.want, "okta-1", tt.give.ProviderEventID) || f.Kind != sspm.FindingEvent {
				t.Fatalf("finding = %+v", f)
			}
		})
	}
}

// Datadog Audit Trail events as the connector maps them: a role grant carries the role's admin_tier.
func TestDatadogEventPolicies(t *testing.T) {
	cat := loadCatalog(t)
	grant := func(id int64, tier string) sspm.Event {
		return sspm.Event{ID: id, ConnectorID: "dd-1", SourceKind: "datadog", ProviderEventID: fmt.Sprintf("dd-%d", id),
			Type: "role.member_added", Category: "iam.role.grant", Outcome: "success", Source: "tail",
			OccurredAt: time.Date(2026, 6, 1, 10, 0, int(id), 0, time.UTC),
			Targets: []sspm.EventTarget{{Type: "user", ExternalID: "bob@acme.example", DisplayName: "bob@acme.example"},
				{Type: "role", ExternalID: "r-1", DisplayName: "Security Engineering"}},
			Raw: json.RawMessage(`{"id":"x","attributes":{"message":"m"},"admin_tier":"` + tier + `"}`)}
	}
	key := sspm.Event{ID: 9, ConnectorID: "dd-1", SourceKind: "datadog", ProviderEventID: "dd-9", Type: "api_key.created",
		Category: "credential.create", Outcome: "success", Source: "tail", OccurredAt: time.Date(2026, 6, 1, 10, 0, 9, 0, time.UTC),
		Raw: json.RawMessage(`{}`)}
	tests := []struct {
		name string
		give sspm.Event
		want map[string]string // policy id → severity
	}{
		{"a custom role with admin-grade permissions", grant(1, "privileged"), map[string]string{"EV-001": "high", "EV-008": "high"}},
		{"the Datadog Admin Role is critical", grant(2, "super"), map[string]string{"EV-001": "critical", "EV-008": "high"}},
		{"a role of read permissions", grant(3, "none"), map[string]string{}},
		{"an API key created", key, map[string]string{"EV-003": "medium"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cat.MatchEvents(context.Background(), "datadog", []sspm.Event{tt.give}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]string{}
			for _, m := range got {
				seen[m.Ref.Policy.ID] = m.Severity
			}
			if fmt.Sprint(seen) != fmt.Sprint(tt.want) {
				t.Fatalf("matched %v, want %v", seen, tt.want)
			}
		})
	}
}

func TestSequencePolicy(t *testing.T) {
	cat := loadCatalog(t)
	bob := []sspm.EventTarget{{Type: "User", ExternalID: "00ubob", DisplayName: "Bob"}}
	suspend := oktaEvent(1, "user.lifecycle.suspend", "SUCCESS", bob, `{}`)
	unsuspend := oktaEvent(2, "user.lifecycle.unsuspend", "SUCCESS", bob, `{}`)
	tests := []struct {
		name  string
		prior []sspm.Event
		want  int
	}{
		{"suspended earlier", []sspm.Event{suspend}, 1},
		{"never suspended", nil, 0},
		{"suspended long ago is outside the lookback", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked LookbackQuery
			lookback := func(_ context.Context, q LookbackQuery) ([]sspm.Event, error) { asked = q; return tt.prior, nil }
			got, err := cat.MatchEvents(context.Background(), "okta", []sspm.Event{unsuspend}, nil, lookback)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("%d matches, want %d", len(got), tt.want)
			}
			if asked.GroupBy != "target" || asked.Keys[0] != "00ubob" || !asked.Since.Equal(unsuspend.OccurredAt.Add(-24*time.Hour)) {
				t.Fatalf("lookback = %+v", asked)
			}
			if tt.want == 1 && (got[0].Ref.Policy.ID != "EV-005" || len(got[0].Sequence) != 1) {
				t.Fatalf("match = %+v", got[0])
			}
		})
	}
}

func TestPoliciesOfOtherSourcesAreSkipped(t *testing.T) {
	cat := loadCatalog(t)
	ev := oktaEvent(1, "organization.member_added", "", nil, `{"membership":{"role":"admin"}}`)
	got, err := cat.MatchEvents(context.Background(), "okta", []sspm.Event{ev}, nil, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("okta matched a GitHub event name: %+v %v", got, err)
	}
	ev.SourceKind = "github"
	got, err = cat.MatchEvents(context.Background(), "github", []sspm.Event{ev}, func(p PolicyRef) bool { return p.Policy.ID == "EV-001" }, nil)
	if err != nil || len(got) != 1 || got[0].Ref.Policy.ID != "EV-007" {
		t.Fatalf("github matches = %+v %v, want EV-007 only (EV-001 skipped)", got, err)
	}
}
