package oktasim

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

type logPage []struct {
	UUID      string    `json:"uuid"`
	EventType string    `json:"eventType"`
	Published time.Time `json:"published"`
}

func readLogs(t *testing.T, s *Server, path string) (logPage, string, int) {
	t.Helper()
	resp, body := get(t, s, path)
	var page logPage
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
	}
	return page, nextLink(t, s, resp), resp.StatusCode
}

func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "/api/v1/logs?" + v.Encode()
}

// TestSystemLogSemantics covers polling versus bounded requests, order,
// filters, retention and cursors.
func TestSystemLogSemantics(t *testing.T) {
	c := company(t, providersim.Small())
	clock := clocktest.New(c.Now.Add(time.Hour))
	s := New(c, Options{Clock: clock.Now})
	defer s.Close()
	total := len(s.log.events)
	month := c.Now.Add(-40 * 24 * time.Hour).Format(time.RFC3339)
	until := c.Now.Format(time.RFC3339)

	t.Run("polling pages until empty and keeps a next link", func(t *testing.T) {
		got, path := 0, q("since", month, "limit", "100")
		for i := 0; ; i++ {
			page, next, _ := readLogs(t, s, path)
			if next == "" {
				t.Fatal("polling page without next link")
			}
			got += len(page)
			if len(page) == 0 {
				break
			}
			path = next
		}
		if got != total {
			t.Errorf("polled %d events, want %d", got, total)
		}
	})
	t.Run("bounded ascending ends", func(t *testing.T) {
		got, path, last := 0, q("since", month, "until", until, "limit", "40"), time.Time{}
		for path != "" {
			page, next, _ := readLogs(t, s, path)
			for _, e := range page {
				if e.Published.Before(last) {
					t.Fatal("bounded results out of published order")
				}
				last = e.Published
			}
			got += len(page)
			path = next
		}
		if got != total {
			t.Errorf("bounded read %d events, want %d", got, total)
		}
	})
	t.Run("descending", func(t *testing.T) {
		page, _, _ := readLogs(t, s, q("sortOrder", "DESCENDING", "since", month, "limit", "5"))
		for i := 1; i < len(page); i++ {
			if page[i].Published.After(page[i-1].Published) {
				t.Fatal("descending results out of order")
			}
		}
		if len(page) != 5 {
			t.Errorf("got %d events", len(page))
		}
	})
	t.Run("filter on eventType", func(t *testing.T) {
		page, _, _ := readLogs(t, s, q("since", month, "limit", "1000", "filter", `eventType eq "app.oauth2.as.consent.grant"`))
		for _, e := range page {
			if e.EventType != "app.oauth2.as.consent.grant" {
				t.Fatalf("filter let through %s", e.EventType)
			}
		}
		if len(page) == 0 {
			t.Error("no consent events")
		}
	})
	t.Run("default since is 7 days", func(t *testing.T) {
		page, _, _ := readLogs(t, s, q("limit", "1000"))
		for _, e := range page {
			if e.Published.Before(clock.Now().Add(-7 * 24 * time.Hour)) {
				t.Fatalf("event from %v in a default window", e.Published)
			}
		}
	})
	t.Run("bad after", func(t *testing.T) {
		if _, _, status := readLogs(t, s, q("after", "bm90LWEtY3Vyc29y")); status != 400 {
			t.Errorf("got %d, want 400", status)
		}
	})
	t.Run("retention", func(t *testing.T) {
		clock.Advance(100 * 24 * time.Hour)
		defer clock.Advance(-100 * 24 * time.Hour)
		page, _, _ := readLogs(t, s, q("since", "2020-01-01T00:00:00.000Z", "limit", "1000"))
		if len(page) != 0 {
			t.Errorf("got %d events older than 90 days", len(page))
		}
	})
}

// TestPollingCursorSeesLateEvents shows why polling filters on persistence
// time: an event published before the cursor but stored after it is read.
func TestPollingCursorSeesLateEvents(t *testing.T) {
	c := company(t, providersim.Small())
	clock := clocktest.New(c.Now.Add(time.Hour))
	s := New(c, Options{Clock: clock.Now})
	defer s.Close()
	_, next, _ := readLogs(t, s, q("since", clock.Now().Add(-time.Minute).Format(time.RFC3339), "limit", "1000"))
	clock.Advance(time.Minute)
	s.mu.Lock()
	s.emit(&logEvent{eventType: "user.session.start", displayMessage: "late", published: clock.Now().Add(-time.Hour), actor: s.admin})
	s.mu.Unlock()
	page, _, _ := readLogs(t, s, next)
	if len(page) != 1 || page[0].EventType != "user.session.start" {
		t.Errorf("got %v, want the late event", page)
	}
}
