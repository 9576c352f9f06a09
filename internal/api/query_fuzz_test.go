package api_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"
)

// listRoutes are the admin API's reads that take query parameters (paging, sorting, filters, search).
var listRoutes = []string{
	"/api/identities", "/api/resources", "/api/findings", "/api/events", "/api/audit", "/api/discovery/apps",
	"/api/discovery/hotspots", "/api/findings-trend", "/api/posture", "/api/rule-history", "/api/inbox/dead",
	"/api/connectors/c1/accounts", "/api/connectors/c1/needs-anchor", "/api/connectors/c1/runs",
}

// FuzzListQuery: no query string makes a read fail on the server: every answer is a success or a client error
// (4xx), never a 5xx, whatever the paging, sort and filter parameters say.
func FuzzListQuery(f *testing.F) {
	for i := range listRoutes {
		f.Add(uint8(i), "limit=50&offset=0")
	}
	f.Add(uint8(0), "offset=2147483648")
	f.Add(uint8(1), "offset=9223372036854775807&limit=500")
	f.Add(uint8(2), "sort=-severity&status=open&severity=high&q=%00")
	f.Add(uint8(3), "from=2026-01-01T00:00:00Z&to=1970-01-01T00:00:00Z&type=user.session.start")
	f.Add(uint8(0), "q='%3B+DROP+TABLE+identities%3B--&sort=name")
	f.Add(uint8(5), "q=%25%5F%5C&limit=-1")
	b := setup(f)
	b.createConnector("c1", "a-good-secret")
	client := b.srv.Client()
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		if _, err := url.ParseQuery(query); err != nil {
			return // not a query string an HTTP client sends
		}
		path := listRoutes[int(route)%len(listRoutes)]
		req, err := http.NewRequest(http.MethodGet, b.srv.URL+path+"?"+query, nil)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+b.viewer)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s?%s: %v", path, query, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("GET %s?%s = %d %s", path, query, res.StatusCode, body)
		}
	})
}
