package entrasim

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

func TestSignIns(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		wantStatus int
		wantCode   string
	}{
		{name: "P1 tenant", wantStatus: http.StatusOK},
		{name: "free tenant", opts: Options{WithoutP1: true}, wantStatus: http.StatusForbidden, wantCode: codeNonPremium},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, tt.opts)
			status, _, body := get(t, s, DefaultToken, "/v1.0/auditLogs/signIns")
			if status != tt.wantStatus || graphCode(body) != tt.wantCode {
				t.Fatalf("%d %v", status, body)
			}
			if status != http.StatusOK {
				return
			}
			want := 0
			c := s.Company()
			cutoff := s.now().Add(-retentionP1)
			for _, si := range c.SignIns {
				if si.Provider == providersim.Entra && si.At.After(cutoff) {
					want++
				}
			}
			all, _, pages := collect(t, s, DefaultToken, "/v1.0/auditLogs/signIns?$top=3")
			if len(all) != want || want == 0 || pages != (want+2)/3 {
				t.Fatalf("%d sign-ins in %d pages, want %d", len(all), pages, want)
			}
			for i := 1; i < len(all); i++ {
				if all[i]["createdDateTime"].(string) > all[i-1]["createdDateTime"].(string) {
					t.Fatal("sign-ins are not newest first")
				}
			}
			mid := all[len(all)/2]["createdDateTime"].(string)
			recent, _, _ := collect(t, s, DefaultToken, "/v1.0/auditLogs/signIns?$top=2&$filter="+url.QueryEscape("createdDateTime ge "+mid))
			if len(recent) != len(all)/2+1 {
				t.Errorf("createdDateTime ge %s: %d sign-ins, want %d", mid, len(recent), len(all)/2+1)
			}
			if st, _, b := get(t, s, DefaultToken, "/v1.0/auditLogs/signIns?$top=1001"); st != http.StatusBadRequest {
				t.Errorf("$top above 1,000: %d %v", st, b)
			}
		})
	}
}

func TestDirectoryAudits(t *testing.T) {
	s, clk := newServer(t, Options{ReportRequests: 5})
	before, _, _ := collect(t, s, DefaultToken, "/v1.0/auditLogs/directoryAudits")
	clk.Advance(time.Minute)
	id, err := s.AddUser(NewUser{DisplayName: "Audit Me", UserPrincipalName: "audit.me@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(s.GroupIDs()[0], id); err != nil {
		t.Fatal(err)
	}
	status, _, body := get(t, s, DefaultToken, "/v1.0/auditLogs/directoryAudits?$filter="+url.QueryEscape("activityDateTime ge "+timeJSON(clk.Now())))
	if status != http.StatusOK {
		t.Fatalf("%d %v", status, body)
	}
	got := values(body)
	if len(got) != 2 || got[0]["activityDisplayName"] != "Add member to group" || got[1]["activityDisplayName"] != "Add user" {
		t.Fatalf("audits since the changes: %v", got)
	}
	target := got[1]["targetResources"].([]any)[0].(map[string]any)
	if target["id"] != id || got[1]["category"] != "UserManagement" {
		t.Errorf("Add user audit %v", got[1])
	}
	if len(before) == 0 {
		t.Error("no directory audits from the company's history")
	}
	// One request since the bucket refilled (the clock moved a minute); it holds 5 per 10 s.
	for i := 0; i < 4; i++ {
		if st, _, b := get(t, s, DefaultToken, "/v1.0/auditLogs/directoryAudits?$top=1"); st != http.StatusOK {
			t.Fatalf("request %d: %d %v", 2+i, st, b)
		}
	}
	st, h, b := get(t, s, DefaultToken, "/v1.0/auditLogs/directoryAudits?$top=1")
	if st != http.StatusTooManyRequests || h.Get("Retry-After") != "2" || graphCode(b) != codeThrottled {
		t.Fatalf("sixth reports request in 10 s: %d Retry-After %q %v", st, h.Get("Retry-After"), b)
	}
	if st, _, _ := get(t, s, DefaultToken, "/v1.0/users?$top=1"); st != http.StatusOK {
		t.Errorf("the reports bucket throttled an inventory call: %d", st)
	}
}
