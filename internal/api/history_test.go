package api_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// seedHistory syncs a connector twice: a baseline with ada (admin later) and bob, then one where ada became an
// admin, bob left and cy (whose name a spreadsheet would read as a formula) appeared and was linked.
func seedHistory(t *testing.T, b *bundle) (between time.Time) {
	t.Helper()
	b.createConnector("idp", "a-long-enough-test-secret")
	b.syncAccounts("idp", true,
		sspm.Account{ExternalID: "i-ada", Kind: sspm.AccountUser, Email: "ada@example.com", DisplayName: "Ada", Status: "ACTIVE", Active: true},
		sspm.Account{ExternalID: "i-bob", Kind: sspm.AccountUser, Email: "bob@example.com", DisplayName: "Bob", Status: "ACTIVE", Active: true})
	time.Sleep(10 * time.Millisecond)
	between = time.Now()
	time.Sleep(10 * time.Millisecond)
	b.syncAccounts("idp", true,
		sspm.Account{ExternalID: "i-ada", Kind: sspm.AccountUser, Email: "ada@example.com", DisplayName: "Ada", Status: "ACTIVE", Active: true, IsAdmin: true},
		sspm.Account{ExternalID: "i-cy", Kind: sspm.AccountUser, Email: "cy@example.com", DisplayName: "=HYPERLINK(1)", Status: "ACTIVE", Active: true})
	return between
}

func TestAccessChangesListFiltersAndPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedHistory(t, b)
	tests := []struct {
		name string
		give url.Values
		want string
	}{
		{"everything", url.Values{}, "account_added,account_admin_granted,account_removed,identity_linked"},
		{"privileged only", url.Values{"privileged": {"true"}}, "account_admin_granted"},
		{"by change kind, repeated", url.Values{"change": {"account_added", "account_removed"}}, "account_added,account_removed"},
		{"by change kind, comma-separated", url.Values{"change": {"account_added,account_removed"}}, "account_added,account_removed"},
		{"by principal", url.Values{"principal": {"i-bob"}}, "account_removed"},
		{"by connector", url.Values{"connector": {"other"}}, ""},
		{"by entity", url.Values{"entity": {"grant"}}, ""},
		{"in the future", url.Values{"since": {time.Now().Add(time.Hour).Format(time.RFC3339)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page api.ChangePage
			b.must(http.StatusOK, http.MethodGet, "/api/access-changes?"+tt.give.Encode(), b.viewer, nil, &page)
			var got []string
			for _, c := range page.Items {
				got = append(got, c.Change)
			}
			if strings.Join(sorted(got), ",") != tt.want {
				t.Fatalf("changes = %v, want %s", got, tt.want)
			}
		})
	}
	var first, second api.ChangePage
	b.must(http.StatusOK, http.MethodGet, "/api/access-changes?limit=2", b.viewer, nil, &first)
	if len(first.Items) != 2 || first.NextCursor == "" {
		t.Fatalf("first page = %+v", first)
	}
	b.must(http.StatusOK, http.MethodGet, "/api/access-changes?limit=2&cursor="+first.NextCursor, b.viewer, nil, &second)
	if len(second.Items) != 2 || second.NextCursor != "" || second.Items[0].ID >= first.Items[1].ID {
		t.Fatalf("second page = %+v", second)
	}
	// A finding names its changes as access_change:<id>: the list filtered to them holds exactly those.
	var all api.ChangePage
	b.must(http.StatusOK, http.MethodGet, "/api/access-changes", b.viewer, nil, &all)
	for _, c := range all.Items {
		id := strconv.FormatInt(c.ID, 10)
		for _, q := range []string{"id=" + id, "id=access_change:" + id} {
			var one api.ChangePage
			b.must(http.StatusOK, http.MethodGet, "/api/access-changes?"+q, b.viewer, nil, &one)
			if len(one.Items) != 1 || one.Items[0].ID != c.ID {
				t.Fatalf("%s: %+v, want change %d alone", q, one.Items, c.ID)
			}
		}
	}
	var two api.ChangePage
	b.must(http.StatusOK, http.MethodGet, "/api/access-changes?id="+url.QueryEscape(
		"access_change:"+strconv.FormatInt(all.Items[0].ID, 10)+","+strconv.FormatInt(all.Items[2].ID, 10)), b.viewer, nil, &two)
	if len(two.Items) != 2 || two.Items[0].ID != all.Items[0].ID || two.Items[1].ID != all.Items[2].ID {
		t.Fatalf("two ids: %+v", two.Items)
	}
	for _, bad := range []string{"change=nope", "entity=nope", "cursor=x", "limit=501", "id=x", "id=0", "id=access_change:"} {
		if status, _ := b.do(http.MethodGet, "/api/access-changes?"+bad, b.viewer, nil); status != http.StatusUnprocessableEntity && status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 422", bad, status)
		}
	}
	var sum api.ChangeSummary
	b.must(http.StatusOK, http.MethodGet, "/api/access-changes/summary", b.viewer, nil, &sum)
	if sum.PrivilegedChanges != 1 {
		t.Fatalf("summary = %+v", sum)
	}
}

func TestAccessChangesExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedHistory(t, b)
	status, body := b.do(http.MethodGet, "/api/access-changes/export?format=csv&change=account_added", b.viewer, nil)
	if status != http.StatusOK {
		t.Fatalf("csv: %d %s", status, body)
	}
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][5] != "change" || recs[1][5] != "account_added" {
		t.Fatalf("csv = %q, %v", recs, err)
	}
	if name := recs[1][9]; name != "'=HYPERLINK(1)" {
		t.Fatalf("principal name = %q, want it defused for spreadsheets", name)
	}
	status, body = b.do(http.MethodGet, "/api/access-changes/export?format=json", b.viewer, nil)
	var rows []api.AccessChange
	if status != http.StatusOK || json.Unmarshal(body, &rows) != nil || len(rows) != 4 {
		t.Fatalf("json: %d %s", status, body)
	}
	if status, _ := b.do(http.MethodGet, "/api/access-changes/export", "", nil); status != http.StatusUnauthorized {
		t.Fatalf("export without a token: %d", status)
	}
}

func TestIdentityAccessAsOf(t *testing.T) {
	t.Parallel()
	b := setup(t)
	between := seedHistory(t, b)
	var ids []api.Identity
	var page api.Page[api.Identity]
	b.must(http.StatusOK, http.MethodGet, "/api/identities?q=ada", b.viewer, nil, &page)
	ids = page.Items
	if len(ids) != 1 {
		t.Fatalf("identities = %+v", ids)
	}
	var then, now api.AccessAsOf
	b.must(http.StatusOK, http.MethodGet, "/api/identities/"+strconv.FormatInt(ids[0].ID, 10)+"/access-as-of?at="+url.QueryEscape(between.Format(time.RFC3339Nano)), b.viewer, nil, &then)
	b.must(http.StatusOK, http.MethodGet, "/api/identities/"+strconv.FormatInt(ids[0].ID, 10)+"/access-as-of?at="+url.QueryEscape(time.Now().Add(time.Minute).Format(time.RFC3339)), b.viewer, nil, &now)
	if len(then.Accounts) != 1 || then.Accounts[0].IsAdmin || len(now.Accounts) != 1 || !now.Accounts[0].IsAdmin {
		t.Fatalf("ada then %+v, now %+v: want admin only now", then, now)
	}
	if status, _ := b.do(http.MethodGet, "/api/identities/99999/access-as-of?at=2026-01-01T00:00:00Z", b.viewer, nil); status != http.StatusNotFound {
		t.Fatalf("unknown identity: %d", status)
	}
	if status, _ := b.do(http.MethodGet, "/api/identities/1/access-as-of", b.viewer, nil); status != http.StatusUnprocessableEntity {
		t.Fatalf("no time: %d", status)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
