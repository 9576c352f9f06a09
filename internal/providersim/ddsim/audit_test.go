package ddsim_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// page of the audit events: by GET or by POST search.
func auditPage(t testing.TB, s *ddsim.Server, search bool, query, from, to, sort, cursor string, limit int) answer {
	t.Helper()
	if search {
		body := map[string]any{"filter": map[string]string{"query": query, "from": from, "to": to},
			"page": map[string]any{"cursor": cursor, "limit": limit}, "sort": sort}
		b, _ := json.Marshal(body)
		return do(t, s, req{method: "POST", path: "/api/v2/audit/events/search", body: b, gzip: true})
	}
	q := url.Values{"filter[query]": {query}, "filter[from]": {from}, "filter[to]": {to}, "sort": {sort},
		"page[limit]": {itoa(limit)}}
	if cursor != "" {
		q.Set("page[cursor]", cursor)
	}
	return do(t, s, req{path: "/api/v2/audit/events?" + q.Encode()})
}

type tailed struct {
	ids   []string
	times []time.Time
	pages int
}

// tail follows meta.page.after to the end, checking links.next comes with every cursor.
func tail(t testing.TB, s *ddsim.Server, search bool, query, from, to, sort string, limit int) tailed {
	t.Helper()
	var out tailed
	cursor := ""
	for {
		a := auditPage(t, s, search, query, from, to, sort, cursor, limit)
		if a.status != 200 {
			t.Fatalf("audit page: %d %v", a.status, a.body)
		}
		out.pages++
		if out.pages > s.Events()+2 { // each page must advance by at least one event
			t.Fatalf("cursor paging does not end after %d pages", out.pages)
		}
		for _, e := range data(a) {
			if e["type"] != "audit" {
				t.Fatalf("event type %v", e["type"])
			}
			at := attrs(e)
			ts, err := time.Parse(time.RFC3339, at["timestamp"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if ev := at["attributes"].(map[string]any)["evt"].(map[string]any); ev["name"] == "" {
				t.Fatalf("event without @evt.name: %v", at)
			}
			out.ids, out.times = append(out.ids, e["id"].(string)), append(out.times, ts)
		}
		page, _ := a.body["meta"].(map[string]any)["page"].(map[string]any)
		next, _ := page["after"].(string)
		if next == "" {
			if a.body["links"] != nil {
				t.Fatalf("links without a cursor: %v", a.body["links"])
			}
			return out
		}
		link := a.body["links"].(map[string]any)["next"].(string)
		if !strings.Contains(link, "page%5Bcursor%5D="+url.QueryEscape(next)) && !strings.Contains(link, "page[cursor]="+next) {
			t.Fatalf("links.next %q does not carry the cursor %q", link, next)
		}
		cursor = next
	}
}

// TestAuditTail: cursor paging by GET and by search yields every event of the window once, in timestamp order;
// filters narrow it; appended events show up in the next tail from the last timestamp; ids change per Run.
func TestAuditTail(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	s := newSim(t, ddsim.Options{Clock: clock.Now, Run: 1})
	total := s.Events()
	if total < 20 {
		t.Fatalf("%d generated events", total)
	}
	from := "2000-01-01T00:00:00Z"
	for _, tc := range []struct {
		name   string
		search bool
		sort   string
		limit  int
	}{
		{"GET ascending", false, "timestamp", 7},
		{"search ascending", true, "timestamp", 13},
		{"GET descending", false, "-timestamp", 50},
		{"search default sort", true, "", 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tail(t, s, tc.search, "*", from, "now", tc.sort, tc.limit)
			if len(got.ids) != total || len(slices.Compact(slices.Sorted(slices.Values(got.ids)))) != total {
				t.Fatalf("tailed %d events (%d pages), %d distinct; want %d", len(got.ids), got.pages,
					len(slices.Compact(slices.Sorted(slices.Values(got.ids)))), total)
			}
			cmp := func(a, b time.Time) int { return a.Compare(b) }
			if tc.sort != "timestamp" {
				cmp = func(a, b time.Time) int { return b.Compare(a) }
			}
			if !slices.IsSortedFunc(got.times, cmp) {
				t.Errorf("not in %q order", tc.sort)
			}
		})
	}
	for _, tc := range []struct {
		query string
		check func(ids []string) bool
	}{
		{"@asset.type:api_key", func(ids []string) bool { return len(ids) >= 3 }},
		{`@evt.name:"Access Management" @action:created @asset.type:application_key`, func(ids []string) bool { return len(ids) >= 1 }},
		{"@asset.type:role @action:modified", func(ids []string) bool { return len(ids) >= 19 }},
		{"@asset.type:nothing", func(ids []string) bool { return len(ids) == 0 }},
	} {
		if got := tail(t, s, true, tc.query, from, "now", "timestamp", 100); !tc.check(got.ids) || len(got.ids) >= total {
			t.Errorf("query %q: %d events", tc.query, len(got.ids))
		}
	}
	// The tail resumes: from the newest timestamp minus an overlap, appended events are seen and nothing else is
	// new.
	all := tail(t, s, false, "*", from, "now", "timestamp", 100)
	last := all.times[len(all.times)-1]
	clock.Advance(time.Minute)
	added := []string{
		s.AppendEvent(ddsim.Event{Action: "modified", AssetType: "user", AssetName: "x@acme.example", Message: "disabled"}),
		s.AppendEvent(ddsim.Event{Name: "Authentication", Action: "login", AssetType: "user"}),
	}
	again := tail(t, s, false, "*", last.Add(-5*time.Minute).Format(time.RFC3339), "now", "timestamp", 1)
	var fresh []string
	for _, id := range again.ids {
		if !slices.Contains(all.ids, id) {
			fresh = append(fresh, id)
		}
	}
	if !slices.Equal(fresh, added) {
		t.Errorf("new events after resuming %v, want %v", fresh, added)
	}
	// Default window: the last 15 minutes only (the appended events, not the company's history).
	if recent := tail(t, s, false, "*", "", "", "timestamp", 10); !slices.Equal(recent.ids, added) {
		t.Errorf("default window %v, want the appended %v", recent.ids, added)
	}
	// Another Run of the same company: the same entities, other event ids.
	other := newSim(t, ddsim.Options{Clock: clock.Now, Run: 2})
	otherIDs := tail(t, other, false, "*", from, "now", "timestamp", 1000).ids
	if len(otherIDs) != total || slices.ContainsFunc(otherIDs, func(id string) bool { return slices.Contains(all.ids, id) }) {
		t.Errorf("run 2 reuses run 1's event ids")
	}
	u1 := data(do(t, s, req{path: "/api/v2/users?page[size]=100"}))
	u2 := data(do(t, other, req{path: "/api/v2/users?page[size]=100"}))
	if u1[0]["id"] != u2[0]["id"] {
		t.Errorf("user ids differ between runs: %v %v", u1[0]["id"], u2[0]["id"])
	}
	for _, bad := range []string{
		"/api/v2/audit/events?page[limit]=1001",
		"/api/v2/audit/events?filter[from]=yesterday",
		"/api/v2/audit/events?sort=name",
		"/api/v2/audit/events?page[cursor]=bm90LWEtY3Vyc29y",
		"/api/v2/audit/events?filter[query]=free%20text",
	} {
		if a := do(t, s, req{path: bad}); a.status != 400 || len(errorsOf(a)) != 1 {
			t.Errorf("%s: %d %v", bad, a.status, a.body)
		}
	}
}
