package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// seedPeople makes an authoritative source "idp" with five people (Ed deprovisioned, Di never signed in) and a
// second source "app" whose accounts are Ada, Ed (a leaver: still active here), a contractor the IdP does not
// know (never signed in) and a bot.
func seedPeople(t *testing.T, b *bundle) {
	t.Helper()
	b.createConnector("idp", "idp-secret-1")
	b.createConnector("app", "app-secret-1")
	b.must(http.StatusOK, http.MethodPatch, "/api/connectors/idp", b.admin, map[string]any{"authoritative": true}, nil)
	recent := time.Now().Add(-time.Hour)
	yes := true
	b.syncAccounts("idp", true,
		sspm.Account{ExternalID: "i-ada", Kind: sspm.AccountUser, Email: "ada@example.com", DisplayName: "Ada Lovelace", Active: true, LastLoginAt: recent, MFAEnrolled: &yes},
		sspm.Account{ExternalID: "i-bob", Kind: sspm.AccountUser, Email: "bob@example.com", DisplayName: "Bob Builder", Active: true, LastLoginAt: recent, IsAdmin: true},
		sspm.Account{ExternalID: "i-cy", Kind: sspm.AccountUser, Email: "cy@example.com", DisplayName: "Cy Young", Active: true, LastLoginAt: recent},
		sspm.Account{ExternalID: "i-di", Kind: sspm.AccountUser, Email: "di@example.com", DisplayName: "Di Prince", Active: true},
		sspm.Account{ExternalID: "i-ed", Kind: sspm.AccountUser, Email: "ed@example.com", DisplayName: "Ed Wood", Active: false, Status: "DEPROVISIONED"},
	)
	b.syncAccounts("app", false,
		sspm.Account{ExternalID: "a-ada", Kind: sspm.AccountUser, Email: "ADA@example.com", DisplayName: "ada", Active: true, LastLoginAt: recent},
		sspm.Account{ExternalID: "a-ed", Kind: sspm.AccountUser, Email: "ed@example.com", DisplayName: "ed", Active: true, LastLoginAt: recent},
		sspm.Account{ExternalID: "a-zed", Kind: sspm.AccountUser, Email: "zed@contractor.example", DisplayName: "Zed Outsider", Active: true, IsAdmin: true},
		sspm.Account{ExternalID: "a-bot", Kind: sspm.AccountBot, DisplayName: "CI bot", Active: true},
	)
}

func TestIdentityListPagesSortsAndFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedPeople(t, b)
	tests := []struct {
		name      string
		give      string
		wantTotal int64
		wantNames []string
	}{
		{name: "first page by name", give: "limit=2&sort=display_name", wantTotal: 6, wantNames: []string{"Ada Lovelace", "Bob Builder"}},
		{name: "second page by name", give: "limit=2&offset=2&sort=display_name", wantTotal: 6, wantNames: []string{"Cy Young", "Di Prince"}},
		{name: "past the end still counts", give: "limit=2&offset=50", wantTotal: 6, wantNames: []string{}},
		{name: "descending", give: "limit=1&sort=-display_name", wantTotal: 6, wantNames: []string{"Zed Outsider"}},
		{name: "search, any case", give: "q=LOVE", wantTotal: 1, wantNames: []string{"Ada Lovelace"}},
		{name: "search is literal", give: "q=%25", wantTotal: 0, wantNames: []string{}},
		{name: "by source", give: "connector=app&sort=display_name", wantTotal: 3, wantNames: []string{"Ada Lovelace", "Ed Wood", "Zed Outsider"}},
		{name: "not anchored", give: "anchored=false", wantTotal: 1, wantNames: []string{"Zed Outsider"}},
		{name: "privileged", give: "privileged=true&sort=display_name", wantTotal: 2, wantNames: []string{"Bob Builder", "Zed Outsider"}},
		{name: "leaver", give: "leaver=true", wantTotal: 1, wantNames: []string{"Ed Wood"}},
		{name: "stale", give: "stale=true&sort=display_name", wantTotal: 2, wantNames: []string{"Di Prince", "Zed Outsider"}},
		{name: "combined", give: "privileged=true&anchored=true", wantTotal: 1, wantNames: []string{"Bob Builder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page api.Page[api.Identity]
			b.must(http.StatusOK, http.MethodGet, "/api/identities?"+tt.give, b.viewer, nil, &page)
			names := []string{}
			for _, i := range page.Items {
				names = append(names, i.DisplayName)
			}
			if page.Total != tt.wantTotal || fmt.Sprint(names) != fmt.Sprint(tt.wantNames) {
				t.Fatalf("total %d %v, want %d %v", page.Total, names, tt.wantTotal, tt.wantNames)
			}
		})
	}
	for _, bad := range []string{"sort=password", "limit=0", "limit=501", "offset=-1", "privileged=maybe"} {
		if status, body := b.do(http.MethodGet, "/api/identities?"+bad, b.viewer, nil); status != http.StatusUnprocessableEntity {
			t.Errorf("%s = %d %s, want 422", bad, status, body)
		}
	}
	// Offsets past 32 bits would wrap in the queries (2^32+2 as the third row): every list refuses them.
	for _, path := range []string{"/api/identities", "/api/events", "/api/audit", "/api/connectors/app/accounts"} {
		for _, bad := range []string{"2147483648", "4294967298", "9223372036854775807"} {
			status, body := b.do(http.MethodGet, path+"?offset="+bad, b.viewer, nil)
			if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "2147483647") {
				t.Errorf("%s?offset=%s = %d %s, want 422 naming the bound", path, bad, status, body)
			}
		}
	}
	b.must(http.StatusOK, http.MethodGet, "/api/identities?offset=2147483647", b.viewer, nil, nil)
}

func TestAccountsNeedsAnchorAndManualLinks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedPeople(t, b)
	var needs api.Page[api.Account]
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/app/needs-anchor?sort=external_id", b.viewer, nil, &needs)
	if got := externalIDs(needs.Items); got != "[a-bot a-zed]" || needs.Total != 2 {
		t.Fatalf("needs anchor = %s (%d)", got, needs.Total)
	}
	var ada api.Page[api.Identity]
	b.must(http.StatusOK, http.MethodGet, "/api/identities?q=ada@", b.viewer, nil, &ada)
	if len(ada.Items) != 1 {
		t.Fatalf("ada = %+v", ada)
	}
	adaID := ada.Items[0].ID

	// Link the contractor to Ada by hand, then unlink them for good, then forget the decision.
	b.must(http.StatusNoContent, http.MethodPut, "/api/connectors/app/accounts/a-zed/link", b.admin, map[string]any{"identity_id": adaID}, nil)
	var accts api.Page[api.Account]
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/app/accounts?q=zed", b.viewer, nil, &accts)
	if len(accts.Items) != 1 || accts.Items[0].IdentityID == nil || *accts.Items[0].IdentityID != adaID || accts.Items[0].LinkReason != "manual" || accts.Items[0].LinkedBy != b.adminActor {
		t.Fatalf("after link: %+v", accts.Items)
	}
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/app/needs-anchor", b.viewer, nil, &needs)
	if needs.Total != 1 {
		t.Fatalf("needs anchor after the link = %d, want 1", needs.Total)
	}
	b.must(http.StatusNoContent, http.MethodPost, "/api/connectors/app/accounts/a-zed/unlink", b.admin, nil, nil)
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/app/accounts?linked=false&sort=external_id", b.viewer, nil, &accts)
	if got := externalIDs(accts.Items); got != "[a-bot a-zed]" {
		t.Fatalf("unlinked accounts = %s", got)
	}
	b.must(http.StatusNoContent, http.MethodDelete, "/api/connectors/app/accounts/a-zed/link", b.admin, nil, nil)
	b.must(http.StatusConflict, http.MethodDelete, "/api/connectors/app/accounts/a-zed/link", b.admin, nil, nil)
	b.must(http.StatusNotFound, http.MethodPut, "/api/connectors/app/accounts/a-zed/link", b.admin, map[string]any{"identity_id": 999999}, nil)
	b.must(http.StatusNotFound, http.MethodPut, "/api/connectors/app/accounts/nobody/link", b.admin, map[string]any{"identity_id": adaID}, nil)

	var audit api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?action=account&sort=at", b.viewer, nil, &audit)
	var actions []string
	for _, e := range audit.Items {
		if e.Actor != b.adminActor || e.TargetID != "app/a-zed" {
			t.Fatalf("audit entry %+v", e)
		}
		actions = append(actions, e.Action)
	}
	if fmt.Sprint(actions) != "[account.link account.unlink account.link.clear]" {
		t.Fatalf("audit actions = %v", actions)
	}

	// Ada's detail shows her accounts in both sources.
	var detail api.IdentityDetail
	b.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/identities/%d", adaID), b.viewer, nil, &detail)
	if len(detail.LinkedAccounts) != 2 || detail.LinkedAccounts[0].ConnectorID != "idp" || !detail.LinkedAccounts[0].Authoritative {
		t.Fatalf("ada's accounts = %+v", detail.LinkedAccounts)
	}
	b.must(http.StatusNotFound, http.MethodGet, "/api/identities/999999", b.viewer, nil, nil)
}

func externalIDs(accts []api.Account) string {
	ids := []string{}
	for _, a := range accts {
		ids = append(ids, a.ExternalID)
	}
	return fmt.Sprint(ids)
}

func TestEventsFilter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedPeople(t, b)
	base := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	ev := func(id, typ, actor string, at time.Duration, target string) sspm.Event {
		e := sspm.Event{ProviderEventID: id, Type: typ, ActorExternalID: actor, ActorDisplay: actor, Outcome: "SUCCESS",
			OccurredAt: base.Add(at), Source: "tail", Raw: []byte(`{"id":"` + id + `"}`)}
		if target != "" {
			e.Targets = []sspm.EventTarget{{Type: "User", ExternalID: target, DisplayName: target}}
		}
		return e
	}
	if _, err := b.db.StoreEvents(context.Background(), "idp", []sspm.Event{
		ev("e1", "user.session.start", "i-ada", 0, ""),
		ev("e2", "user.session.end", "i-ada", time.Hour, ""),
		ev("e3", "group.user_membership.add", "i-bob", 2*time.Hour, "i-ada"),
		ev("e4", "user.lifecycle.deactivate", "i-bob", 3*time.Hour, "i-ed"),
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		give url.Values
		want string
	}{
		{name: "newest first", give: url.Values{}, want: "[e4 e3 e2 e1]"},
		{name: "oldest first", give: url.Values{"sort": {"occurred_at"}}, want: "[e1 e2 e3 e4]"},
		{name: "type prefix", give: url.Values{"type": {"user.session"}}, want: "[e2 e1]"},
		{name: "actor", give: url.Values{"actor": {"i-bob"}}, want: "[e4 e3]"},
		{name: "target", give: url.Values{"target": {"i-ed"}}, want: "[e4]"},
		{name: "time range", give: url.Values{"since": {base.Add(time.Hour).Format(time.RFC3339)}, "until": {base.Add(3 * time.Hour).Format(time.RFC3339)}}, want: "[e3 e2]"},
		{name: "other connector", give: url.Values{"connector": {"app"}}, want: "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page api.Page[api.EventSummary]
			b.must(http.StatusOK, http.MethodGet, "/api/events?"+tt.give.Encode(), b.viewer, nil, &page)
			ids := []string{}
			for _, e := range page.Items {
				ids = append(ids, e.ProviderEventID)
			}
			if fmt.Sprint(ids) != tt.want {
				t.Fatalf("events = %v, want %s", ids, tt.want)
			}
		})
	}
	var page api.Page[api.EventSummary]
	b.must(http.StatusOK, http.MethodGet, "/api/events?target=i-ada", b.viewer, nil, &page)
	var detail api.EventDetail
	b.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/events/%d", page.Items[0].ID), b.viewer, nil, &detail)
	if len(detail.Targets) != 1 || detail.Targets[0].IdentityID == nil || detail.Raw == nil {
		t.Fatalf("event detail = %+v", detail)
	}
	var ada api.Page[api.Identity]
	b.must(http.StatusOK, http.MethodGet, "/api/identities?q=ada@", b.viewer, nil, &ada)
	var id api.IdentityDetail
	b.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/identities/%d", ada.Items[0].ID), b.viewer, nil, &id)
	if len(id.Events) != 3 {
		t.Fatalf("ada's events = %d, want 3 (two as actor, one as target)", len(id.Events))
	}
}

// TestNeedsAnchorReasonsAndSuggestions: each needs-anchor account says why it needs one, and the suggestions
// for an account name the identities likely to own it (same name, email local part, known alias), best first.
func TestNeedsAnchorReasonsAndSuggestions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedPeople(t, b)
	b.createConnector("crm", "crm-secret-1")
	b.syncAccounts("crm", false,
		sspm.Account{ExternalID: "c-cy", Kind: sspm.AccountUser, DisplayName: "Cy Young", Active: true},
		sspm.Account{ExternalID: "c-bob", Kind: sspm.AccountUser, Email: "bob.b@other.example", Username: "bob", DisplayName: "B.", Active: true},
		sspm.Account{ExternalID: "c-zed", Kind: sspm.AccountUser, Username: "zed", Active: true},
		sspm.Account{ExternalID: "c-svc", Kind: sspm.AccountServiceAccount, DisplayName: "Cy Young", Active: true},
	)
	reasons := func(connector string) string {
		t.Helper()
		var needs api.Page[api.Account]
		b.must(http.StatusOK, http.MethodGet, "/api/connectors/"+connector+"/needs-anchor?sort=external_id", b.viewer, nil, &needs)
		out := []string{}
		for _, a := range needs.Items {
			out = append(out, a.ExternalID+":"+a.AnchorReason)
		}
		return fmt.Sprint(out)
	}
	if got, want := reasons("app"), "[a-bot:service_account a-zed:email_matches_no_identity]"; got != want {
		t.Fatalf("app needs anchor = %s, want %s", got, want)
	}
	if got, want := reasons("crm"), "[c-bob:email_matches_no_identity c-cy:no_email c-svc:service_account c-zed:no_email]"; got != want {
		t.Fatalf("crm needs anchor = %s, want %s", got, want)
	}
	var accts api.Page[api.Account]
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/app/accounts?q=ada", b.viewer, nil, &accts)
	if len(accts.Items) != 1 || accts.Items[0].AnchorReason != "" {
		t.Fatalf("an anchored account has a needs-anchor reason: %+v", accts.Items)
	}

	suggest := func(connector, externalID string) string {
		t.Helper()
		var got []api.IdentitySuggestion
		b.must(http.StatusOK, http.MethodGet, "/api/connectors/"+connector+"/accounts/"+externalID+"/suggestions", b.viewer, nil, &got)
		out := []string{}
		for _, s := range got {
			out = append(out, fmt.Sprintf("%s%v", s.DisplayName, s.Reasons))
		}
		return fmt.Sprint(out)
	}
	tests := []struct{ connector, account, want string }{
		{"crm", "c-cy", "[Cy Young[same_name]]"},
		{"crm", "c-bob", "[Bob Builder[email_local_part known_alias]]"},
		{"crm", "c-zed", "[Zed Outsider[email_local_part known_alias]]"},
		{"app", "a-zed", "[]"}, // its own identity is not suggested
		{"crm", "nobody", "[]"},
	}
	for _, tt := range tests {
		if got := suggest(tt.connector, tt.account); got != tt.want {
			t.Errorf("suggestions for %s/%s = %s, want %s", tt.connector, tt.account, got, tt.want)
		}
	}
	b.must(http.StatusNotFound, http.MethodGet, "/api/connectors/nope/accounts/x/suggestions", b.viewer, nil, nil)

	// Linked by hand to an identity no authoritative source has; unlinked by hand.
	var zed api.Page[api.Identity]
	b.must(http.StatusOK, http.MethodGet, "/api/identities?q=zed@", b.viewer, nil, &zed)
	if len(zed.Items) != 1 {
		t.Fatalf("zed = %+v", zed)
	}
	b.must(http.StatusNoContent, http.MethodPut, "/api/connectors/crm/accounts/c-zed/link", b.admin, map[string]any{"identity_id": zed.Items[0].ID}, nil)
	b.must(http.StatusNoContent, http.MethodPost, "/api/connectors/crm/accounts/c-bob/unlink", b.admin, nil, nil)
	if got, want := reasons("crm"), "[c-bob:unlinked_by_hand c-cy:no_email c-svc:service_account c-zed:identity_not_anchored]"; got != want {
		t.Fatalf("crm needs anchor after the decisions = %s, want %s", got, want)
	}
	if got := suggest("crm", "c-zed"); got != "[]" {
		t.Fatalf("suggestions for an account linked to the only candidate = %s", got)
	}
}
