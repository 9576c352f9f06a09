package entrasim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// wantUsers counts the company's people the tenant serves: members and guests.
func wantUsers(c *providersim.Company) (members, guests int) {
	for i := range c.People {
		switch p := &c.People[i]; {
		case p.Kind == providersim.External:
			guests++
		case p.HasAccount(providersim.Entra):
			members++
		}
	}
	return members, guests
}

func TestListUsersPaging(t *testing.T) {
	s, _ := newServer(t, Options{})
	members, guests := wantUsers(s.Company())
	if guests == 0 {
		t.Fatal("the small company has no external collaborators to serve as guests")
	}
	tests := []struct {
		name      string
		path      string
		wantCount int
		wantPages int
	}{
		{name: "default page", path: "/v1.0/users", wantCount: members + guests, wantPages: 1},
		{name: "top 7", path: "/v1.0/users?$top=7&$select=id,userType", wantCount: members + guests, wantPages: (members + guests + 6) / 7},
		{name: "guests", path: "/v1.0/users?$filter=userType+eq+'Guest'&$top=1", wantCount: guests, wantPages: guests},
		{name: "members and enabled", path: "/v1.0/users?$filter=" + url.QueryEscape("userType eq 'Member' and accountEnabled eq true") + "&$top=999", wantCount: -1, wantPages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, _, pages := collect(t, s, DefaultToken, tt.path)
			seen := map[string]bool{}
			for _, u := range all {
				id, _ := u["id"].(string)
				if id == "" || seen[id] {
					t.Fatalf("missing or repeated id %q", id)
				}
				seen[id] = true
			}
			if tt.wantCount >= 0 && len(all) != tt.wantCount {
				t.Errorf("%d users, want %d", len(all), tt.wantCount)
			}
			if tt.wantCount < 0 && (len(all) == 0 || len(all) >= members) {
				t.Errorf("%d enabled members of %d members: filter did not filter", len(all), members)
			}
			if pages != tt.wantPages {
				t.Errorf("%d pages, want %d", pages, tt.wantPages)
			}
		})
	}
}

func TestUserProperties(t *testing.T) {
	s, _ := newServer(t, Options{})
	c := s.Company()
	_, _, body := get(t, s, DefaultToken, "/v1.0/users?$top=999")
	for _, u := range values(body) {
		if _, ok := u["accountEnabled"]; ok {
			t.Fatal("accountEnabled returned without $select; Graph returns it only when selected")
		}
		if _, ok := u["userPrincipalName"]; !ok {
			t.Fatal("userPrincipalName is a default property")
		}
	}
	sel := "id,userType,accountEnabled,mail,userPrincipalName,onPremisesSyncEnabled,externalUserState"
	all, _, _ := collect(t, s, DefaultToken, "/v1.0/users?$top=999&$select="+sel)
	byID := map[string]map[string]any{}
	for _, u := range all {
		byID[u["id"].(string)] = u
		if _, ok := u["signInActivity"]; ok {
			t.Fatal("signInActivity returned without being selected")
		}
	}
	var sawGuest, sawDisabled, sawSynced bool
	for i := range c.People {
		p := &c.People[i]
		id, ok := s.UserIDOf(i)
		if !ok {
			continue
		}
		u := byID[id]
		switch {
		case p.Kind == providersim.External:
			sawGuest = true
			if u["userType"] != "Guest" || !strings.Contains(u["userPrincipalName"].(string), "#EXT#") || u["mail"] != p.Email {
				t.Errorf("guest %s served as %v", p.ID, u)
			}
		default:
			if u["userType"] != "Member" || u["mail"] != p.EmailIn(providersim.Entra) || u["userPrincipalName"] != strings.ToLower(p.Email) {
				t.Errorf("member %s served as %v", p.ID, u)
			}
			st := p.StatusIn(providersim.Entra)
			wantEnabled := st != providersim.Suspended && st != providersim.Leaver
			if u["accountEnabled"] != wantEnabled {
				t.Errorf("%s (%s) accountEnabled %v", p.ID, st, u["accountEnabled"])
			}
			sawDisabled = sawDisabled || !wantEnabled
			sawSynced = sawSynced || u["onPremisesSyncEnabled"] == true
		}
	}
	if !sawGuest || !sawDisabled || !sawSynced {
		t.Errorf("guest %v, disabled %v, synced %v: the small company should show each", sawGuest, sawDisabled, sawSynced)
	}
}

func TestQueryErrors(t *testing.T) {
	s, _ := newServer(t, Options{})
	other := New(s.Company(), Options{Run: 2})
	defer other.Close()
	_, _, page := get(t, other, DefaultToken, "/v1.0/users?$top=2")
	foreign := page["@odata.nextLink"].(string)
	foreign = s.URL() + foreign[strings.Index(foreign, "/v1.0/"):]
	tests := []struct {
		name, path string
		wantStatus int
		wantCode   string
	}{
		{name: "top too large", path: "/v1.0/users?$top=1000", wantStatus: 400, wantCode: codeRequestBad},
		{name: "top zero", path: "/v1.0/users?$top=0", wantStatus: 400, wantCode: codeRequestBad},
		{name: "unknown property", path: "/v1.0/users?$select=id,shoeSize", wantStatus: 400, wantCode: codeBadRequest},
		{name: "filter operator", path: "/v1.0/users?$filter=" + url.QueryEscape("startswith(displayName,'a')"), wantStatus: 400, wantCode: codeRequestBad},
		{name: "filter on unsupported property", path: "/v1.0/users?$filter=" + url.QueryEscape("jobTitle eq 'CEO'"), wantStatus: 400, wantCode: codeUnsupportedQuery},
		{name: "filter with ne", path: "/v1.0/groups?$filter=" + url.QueryEscape("displayName ne 'IT'"), wantStatus: 400, wantCode: codeUnsupportedQuery},
		{name: "skip token from another run", path: foreign, wantStatus: 400, wantCode: codeExpiredPageToken},
		{name: "forged skip token", path: "/v1.0/users?$skiptoken=abc.def", wantStatus: 400, wantCode: codeExpiredPageToken},
		{name: "unknown user", path: "/v1.0/users/00000000-0000-0000-0000-000000000000", wantStatus: 404, wantCode: codeNotFound},
		{name: "unknown group members", path: "/v1.0/groups/00000000-0000-0000-0000-000000000000/members", wantStatus: 404, wantCode: codeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := get(t, s, DefaultToken, tt.path)
			if status != tt.wantStatus || graphCode(body) != tt.wantCode {
				t.Fatalf("%d %v, want %d %s", status, body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestSignInActivity(t *testing.T) {
	noAudit := App{ClientID: "33333333-3333-4444-5555-666666666666", Secret: "s3", Roles: []string{"User.Read.All"}}
	tests := []struct {
		name       string
		opts       Options
		app        *App
		wantStatus int
		wantCode   string
	}{
		{name: "P1 tenant", wantStatus: 200},
		{name: "free tenant", opts: Options{WithoutP1: true}, wantStatus: 403, wantCode: codeNonPremium},
		{name: "without AuditLog.Read.All", opts: Options{Apps: []App{noAudit}}, app: &noAudit, wantStatus: 403, wantCode: codeDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(medium(t), tt.opts)
			defer s.Close()
			tok := DefaultToken
			if tt.app != nil {
				_, body := postToken(t, s, s.TenantID(), url.Values{"grant_type": {"client_credentials"}, "client_id": {tt.app.ClientID},
					"client_secret": {tt.app.Secret}, "scope": {GraphScope}})
				tok = body["access_token"].(string)
			}
			status, _, body := get(t, s, tok, "/v1.0/users?$select=id,signInActivity&$top=999")
			if status != tt.wantStatus || graphCode(body) != tt.wantCode {
				t.Fatalf("%d %v, want %d %q", status, body, tt.wantStatus, tt.wantCode)
			}
			if status != http.StatusOK {
				if st, _, b := get(t, s, tok, "/v1.0/users?$select=id,accountEnabled"); st != 200 {
					t.Fatalf("users without signInActivity refused too: %d %v", st, b)
				}
				return
			}
			if n := len(values(body)); n != signInActivityPage {
				t.Errorf("page of %d users with signInActivity, want Graph's cap %d", n, signInActivityPage)
			}
			c := s.Company()
			for i := range c.People {
				id, ok := s.UserIDOf(i)
				if !ok || c.People[i].LastLogin.IsZero() {
					continue
				}
				_, _, u := get(t, s, tok, "/v1.0/users/"+id+"?$select=id,signInActivity")
				act := u["signInActivity"].(map[string]any)
				if act["lastSignInDateTime"] != timeJSON(c.People[i].LastLogin) {
					t.Fatalf("signInActivity %v, want last sign-in %s", act, timeJSON(c.People[i].LastLogin))
				}
				break
			}
		})
	}
}

func TestGroupMembers(t *testing.T) {
	s, _ := newServer(t, Options{})
	c := s.Company()
	groups, _, _ := collect(t, s, DefaultToken, "/v1.0/groups?$top=5&$select=id,displayName,isAssignableToRole,groupTypes")
	if len(groups) != len(c.Groups)+1 {
		t.Fatalf("%d groups, want the company's %d and All Departments", len(groups), len(c.Groups))
	}
	var allDepts string
	for _, g := range groups {
		if g["displayName"] == "All Departments" {
			allDepts = g["id"].(string)
		}
	}
	for gi, cg := range c.Groups {
		id := groups[gi]["id"].(string)
		if groups[gi]["displayName"] != cg.Name || groups[gi]["isAssignableToRole"] != (cg.Kind == providersim.GroupAdmin) {
			t.Fatalf("group %d served as %v", gi, groups[gi])
		}
		members, _, _ := collect(t, s, DefaultToken, "/v1.0/groups/"+id+"/members?$select=id&$top=3")
		if len(members) != len(cg.Members) {
			t.Fatalf("%s: %d members, want %d", cg.Name, len(members), len(cg.Members))
		}
		for k, m := range members {
			want, _ := s.UserIDOf(cg.Members[k])
			if m["id"] != want || m["@odata.type"] != "#microsoft.graph.user" {
				t.Fatalf("%s member %d = %v, want user %s", cg.Name, k, m, want)
			}
		}
	}
	direct, _, _ := collect(t, s, DefaultToken, "/v1.0/groups/"+allDepts+"/members")
	trans, _, _ := collect(t, s, DefaultToken, "/v1.0/groups/"+allDepts+"/transitiveMembers?$top=999")
	users := map[any]bool{}
	for _, m := range direct {
		if m["@odata.type"] != "#microsoft.graph.group" {
			t.Fatalf("All Departments has a direct member %v that is not a department group", m)
		}
	}
	wantUsers := map[string]bool{}
	for _, cg := range c.Groups {
		if cg.Kind == providersim.GroupDepartment {
			for _, p := range cg.Members {
				id, _ := s.UserIDOf(p)
				wantUsers[id] = true
			}
		}
	}
	for _, m := range trans {
		if m["@odata.type"] == "#microsoft.graph.user" {
			users[m["id"]] = true
		}
	}
	if len(direct) == 0 || len(users) != len(wantUsers) || len(trans) != len(direct)+len(wantUsers) {
		t.Fatalf("transitive members: %d groups and %d users of %d items, want %d groups and %d users", len(direct), len(users), len(trans), len(direct), len(wantUsers))
	}
}
