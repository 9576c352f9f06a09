package ddsim_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
)

var (
	small  = sync.OnceValues(func() (*providersim.Company, error) { return providersim.NewCompany(providersim.Small()) })
	medium = sync.OnceValues(func() (*providersim.Company, error) { return providersim.NewCompany(providersim.Medium()) })
)

func company(t *testing.T, gen func() (*providersim.Company, error)) *providersim.Company {
	t.Helper()
	c, err := gen()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newSim serves the small company (about 50 people, 19 Datadog users, all active).
func newSim(t *testing.T, opts ddsim.Options) *ddsim.Server {
	return newSimOf(t, company(t, small), opts)
}

func newSimOf(t *testing.T, c *providersim.Company, opts ddsim.Options) *ddsim.Server {
	t.Helper()
	s := ddsim.New(c, opts)
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

type req struct {
	method, path string
	apiKey       string // "-" for none
	appKey       string // "-" for none
	host         string
	body         []byte
	gzip         bool
}

func do(t testing.TB, s *ddsim.Server, r req) answer {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
		if r.gzip {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(r.body)
			_ = zw.Close()
			body = &b
		}
	}
	hr, err := http.NewRequest(r.method, s.URL()+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch r.apiKey {
	case "":
		hr.Header.Set("DD-API-KEY", ddsim.DefaultAPIKey)
	case "-":
	default:
		hr.Header.Set("DD-API-KEY", r.apiKey)
	}
	switch r.appKey {
	case "":
		hr.Header.Set("DD-APPLICATION-KEY", ddsim.DefaultAppKey)
	case "-":
	default:
		hr.Header.Set("DD-APPLICATION-KEY", r.appKey)
	}
	if r.host != "" {
		hr.Host = r.host
	}
	if r.body != nil {
		hr.Header.Set("Content-Type", "application/json")
		if r.gzip {
			hr.Header.Set("Content-Encoding", "gzip")
		}
	}
	resp, err := s.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
		t.Fatalf("%s %s: body: %v", r.method, r.path, err)
	}
	return a
}

func data(a answer) []map[string]any {
	var out []map[string]any
	for _, d := range a.body["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

func attrs(d map[string]any) map[string]any { return d["attributes"].(map[string]any) }

func relIDs(d map[string]any, name string) []string {
	r, ok := d["relationships"].(map[string]any)[name].(map[string]any)
	if !ok {
		return nil
	}
	switch v := r["data"].(type) {
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, x.(map[string]any)["id"].(string))
		}
		return out
	case map[string]any:
		return []string{v["id"].(string)}
	}
	return nil
}

func pageMeta(a answer, key string) int {
	return int(a.body["meta"].(map[string]any)["page"].(map[string]any)[key].(float64))
}

func errorsOf(a answer) []any { e, _ := a.body["errors"].([]any); return e }

// TestAuth: both keys are required; a bad key, a missing key and a key without the endpoint's permission get
// Datadog's 403 {"errors":["Forbidden"]}; a key with it is served, whatever site host the client chose.
func TestAuth(t *testing.T) {
	s := newSim(t, ddsim.Options{AppKeys: map[string][]string{
		ddsim.DefaultAppKey: nil,
		"users-only":        {ddsim.PermUserAccessRead},
		"audit-only":        {ddsim.PermAuditLogsRead},
	}})
	for _, tc := range []struct {
		name     string
		api, app string
		path     string
		want     int
	}{
		{"both keys", "", "", "/api/v2/users", 200},
		{"bad api key", "wrong", "", "/api/v2/users", 403},
		{"no api key", "-", "", "/api/v2/users", 403},
		{"no application key", "", "-", "/api/v2/users", 403},
		{"unknown application key", "", "wrong", "/api/v2/users", 403},
		{"scoped key with permission", "", "users-only", "/api/v2/roles", 200},
		{"scoped key without api_keys_read", "", "users-only", "/api/v2/api_keys", 403},
		{"scoped key without org_app_keys_read", "", "users-only", "/api/v2/application_keys", 403},
		{"scoped key without audit_logs_read", "", "users-only", "/api/v2/audit/events?filter[from]=0", 403},
		{"audit key reads audit", "", "audit-only", "/api/v2/audit/events?filter[from]=0", 200},
		{"audit key without user_access_read", "", "audit-only", "/api/v2/users", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, s, req{path: tc.path, apiKey: tc.api, appKey: tc.app, host: "api.datadoghq.eu"})
			if a.status != tc.want {
				t.Fatalf("status %d, want %d (%v)", a.status, tc.want, a.body)
			}
			if tc.want == 403 && !slices.Equal(errorsOf(a), []any{"Forbidden"}) {
				t.Errorf("body %v, want {\"errors\":[\"Forbidden\"]}", a.body)
			}
			if a.header.Get("X-RateLimit-Name") == "" {
				t.Errorf("no rate-limit headers on a %d", a.status)
			}
		})
	}
	if h := s.Hosts(); len(h) == 0 || h[0] != "api.datadoghq.eu" {
		t.Errorf("hosts seen %v, want the site host the client sent", h)
	}
}

// TestUsers: 0-based pages of at most 100 cover every user once; total_count, filter[status], included roles
// and the documented attributes hold; service accounts are users with service_account=true.
func TestUsers(t *testing.T) {
	c := company(t, medium)
	var want struct{ users, disabled, pending, service int }
	for i := range c.People {
		p := &c.People[i]
		if !p.HasAccount(providersim.Datadog) {
			continue
		}
		want.users++
		switch p.StatusIn(providersim.Datadog) {
		case providersim.Suspended, providersim.Leaver:
			want.disabled++
		case providersim.Staged:
			want.pending++
		}
		if !p.Kind.Human() {
			want.service++
		}
	}
	s := newSimOf(t, c, ddsim.Options{})
	first := do(t, s, req{path: "/api/v2/users?page[size]=37&page[number]=0"})
	total := pageMeta(first, "total_count")
	if total != want.users || want.disabled == 0 || want.pending == 0 || want.service == 0 {
		t.Fatalf("total_count %d, want %+v", total, want)
	}
	seen := map[string]bool{}
	var serviceAccounts, disabled, withLogin int
	for n := 0; ; n++ {
		a := do(t, s, req{path: "/api/v2/users?page[size]=37&page[number]=" + itoa(n)})
		page := data(a)
		included := map[string]bool{}
		for _, inc := range a.body["included"].([]any) {
			m := inc.(map[string]any)
			if m["type"] != "roles" || attrs(m)["name"] == "" {
				t.Fatalf("included %v", m)
			}
			included[m["id"].(string)] = true
		}
		for _, u := range page {
			id := u["id"].(string)
			if seen[id] || u["type"] != "users" {
				t.Fatalf("user %s seen twice or wrong type %v", id, u["type"])
			}
			seen[id] = true
			at := attrs(u)
			for _, k := range []string{"email", "handle", "name", "status", "disabled", "verified", "service_account",
				"mfa_enabled", "last_login_time", "created_at", "modified_at"} {
				if _, ok := at[k]; !ok {
					t.Fatalf("user %s lacks %s", id, k)
				}
			}
			roles := relIDs(u, "roles")
			if len(roles) == 0 {
				t.Fatalf("user %s has no role", id)
			}
			for _, r := range roles {
				if !included[r] {
					t.Fatalf("role %s of user %s not included", r, id)
				}
			}
			if at["service_account"] == true {
				serviceAccounts++
			}
			if at["disabled"] == true {
				disabled++
				if at["status"] != "Disabled" {
					t.Errorf("disabled user %s has status %v", id, at["status"])
				}
			}
			if at["last_login_time"] != nil {
				withLogin++
			}
		}
		if len(page) < 37 {
			break
		}
	}
	if len(seen) != total || serviceAccounts != want.service || disabled != want.disabled || withLogin == 0 {
		t.Errorf("paged %d of %d users; service accounts %d, disabled %d, with last login %d", len(seen), total,
			serviceAccounts, disabled, withLogin)
	}
	for _, tc := range []struct {
		status string
		want   int
	}{{"Disabled", want.disabled}, {"Pending", want.pending}, {"Disabled,Pending", want.disabled + want.pending}} {
		d := do(t, s, req{path: "/api/v2/users?page[size]=100&filter[status]=" + tc.status})
		if pageMeta(d, "total_filtered_count") != tc.want || len(data(d)) != tc.want || pageMeta(d, "total_count") != total {
			t.Errorf("filter[status]=%s: %d (filtered %d), want %d", tc.status, len(data(d)), pageMeta(d, "total_filtered_count"), tc.want)
		}
	}
	for _, tc := range []struct{ path string }{
		{"/api/v2/users?page[size]=101"},
		{"/api/v2/users?page[number]=-1"},
		{"/api/v2/users?filter[status]=Gone"},
	} {
		if a := do(t, s, req{path: tc.path}); a.status != 400 || len(errorsOf(a)) != 1 {
			t.Errorf("%s: %d %v, want 400 with one error", tc.path, a.status, a.body)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
