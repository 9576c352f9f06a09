package entrasim

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

func TestApplicationsAndServicePrincipals(t *testing.T) {
	s, _ := newServer(t, Options{})
	c := s.Company()
	apps, _, _ := collect(t, s, DefaultToken, "/v1.0/applications?$top=5&$select=id,appId,displayName,passwordCredentials,keyCredentials")
	sps, _, _ := collect(t, s, DefaultToken, "/v1.0/servicePrincipals?$top=999")
	if len(apps) != len(c.Apps) {
		t.Fatalf("%d applications, want %d", len(apps), len(c.Apps))
	}
	spByAppID := map[any]map[string]any{}
	var graphSP map[string]any
	thirdParty := 0
	for _, sp := range sps {
		spByAppID[sp["appId"]] = sp
		if sp["appId"] == graphAppID {
			graphSP = sp
		} else if sp["appOwnerOrganizationId"] != s.TenantID() {
			thirdParty++
		}
	}
	if graphSP == nil {
		t.Fatal("no Microsoft Graph service principal")
	}
	expired, secrets := 0, 0
	for i, a := range apps {
		sp := spByAppID[a["appId"]]
		if sp == nil || sp["displayName"] != a["displayName"] {
			t.Fatalf("application %v has no enterprise application", a)
		}
		for _, pc := range a["passwordCredentials"].([]any) {
			cr := pc.(map[string]any)
			secrets++
			if cr["secretText"] != nil || cr["keyId"] == "" || cr["endDateTime"] == nil {
				t.Fatalf("password credential %v: want metadata only", cr)
			}
			if cr["endDateTime"].(string) < timeJSON(c.Now) {
				expired++
			}
		}
		wantSecret := c.Apps[i].SignOn == providersim.SignOnOIDC
		if got := len(a["passwordCredentials"].([]any)) > 0; got != wantSecret {
			t.Errorf("%s (%s): client secret %v", c.Apps[i].Key, c.Apps[i].SignOn, got)
		}
	}
	if secrets == 0 || expired == 0 {
		t.Errorf("%d secrets, %d expired: the small company should show both", secrets, expired)
	}
	grants, _, _ := collect(t, s, DefaultToken, "/v1.0/oauth2PermissionGrants")
	spIDs := map[any]bool{}
	for _, sp := range sps {
		spIDs[sp["id"]] = true
	}
	for _, g := range grants {
		if !spIDs[g["clientId"]] || g["resourceId"] != graphSP["id"] || g["consentType"] != "Principal" || g["scope"] == "" {
			t.Fatalf("grant %v", g)
		}
	}
	if len(grants) == 0 || thirdParty == 0 {
		t.Errorf("%d grants, %d third-party service principals", len(grants), thirdParty)
	}
	graphAssigned, _, _ := collect(t, s, DefaultToken, "/v1.0/servicePrincipals/"+graphSP["id"].(string)+"/appRoleAssignedTo")
	oidc := 0
	for _, a := range c.Apps {
		if a.SignOn == providersim.SignOnOIDC {
			oidc++
		}
	}
	if len(graphAssigned) != oidc {
		t.Errorf("%d application permissions on Graph, want one per OIDC app (%d)", len(graphAssigned), oidc)
	}
}

func TestAppAssignmentsAndOwners(t *testing.T) {
	s, _ := newServer(t, Options{})
	c := s.Company()
	apps, _, _ := collect(t, s, DefaultToken, "/v1.0/applications?$select=id,appId&$top=999")
	withOwner, without := 0, 0
	for i, a := range apps {
		_, _, spPage := get(t, s, DefaultToken, "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+a["appId"].(string)+"'"))
		sps := values(spPage)
		if len(sps) != 1 {
			t.Fatalf("filter by appId: %v", spPage)
		}
		spID := sps[0]["id"].(string)
		assigned, _, _ := collect(t, s, DefaultToken, "/v1.0/servicePrincipals/"+spID+"/appRoleAssignedTo?$top=7")
		want := len(c.Apps[i].Groups)
		for _, as := range c.Apps[i].Users {
			if as.Group < 0 {
				want++
			}
		}
		if len(assigned) != want {
			t.Fatalf("%s: %d assignments, want %d", c.Apps[i].Key, len(assigned), want)
		}
		for _, as := range assigned {
			if as["resourceId"] != spID || (as["principalType"] != "User" && as["principalType"] != "Group") {
				t.Fatalf("assignment %v", as)
			}
		}
		owners, _, _ := collect(t, s, DefaultToken, "/v1.0/applications/"+a["id"].(string)+"/owners?$select=id,userPrincipalName")
		spOwners, _, _ := collect(t, s, DefaultToken, "/v1.0/servicePrincipals/"+spID+"/owners")
		if len(owners) != len(spOwners) {
			t.Fatalf("%s: application owners %v, service principal owners %v", c.Apps[i].Key, owners, spOwners)
		}
		for _, o := range owners {
			if o["@odata.type"] != "#microsoft.graph.user" || o["userPrincipalName"] == nil {
				t.Fatalf("owner %v", o)
			}
		}
		if len(owners) > 0 {
			withOwner++
		} else {
			without++
		}
	}
	if withOwner == 0 || without == 0 {
		t.Errorf("%d apps with an owner, %d without: want both", withOwner, without)
	}
}

func TestDirectoryRoles(t *testing.T) {
	s, _ := newServer(t, Options{})
	c := s.Company()
	defs, _, _ := collect(t, s, DefaultToken, "/v1.0/roleManagement/directory/roleDefinitions")
	assigns, _, _ := collect(t, s, DefaultToken, "/v1.0/roleManagement/directory/roleAssignments?$top=3")
	defined := map[any]bool{}
	for _, d := range defs {
		defined[d["id"]] = true
	}
	want := map[string]int{}
	for i := range c.People {
		if id, ok := s.UserIDOf(i); ok {
			for _, r := range c.People[i].AdminRoles {
				want[id+" "+entraRole(r).id]++
			}
		}
	}
	groupIDs := s.GroupIDs()
	for gi, g := range c.Groups {
		for _, r := range g.AdminRoles {
			want[groupIDs[gi]+" "+entraRole(r).id]++
		}
	}
	got := map[string]int{}
	for _, a := range assigns {
		if !defined[a["roleDefinitionId"]] || a["directoryScopeId"] != "/" {
			t.Fatalf("assignment %v", a)
		}
		got[a["principalId"].(string)+" "+a["roleDefinitionId"].(string)]++
	}
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("assignments %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d assignments, want %d", k, got[k], n)
		}
	}
	if !defined["62e90394-69f5-4237-9190-012177145e10"] {
		t.Error("Global Administrator is not defined")
	}
	roles, _, _ := collect(t, s, DefaultToken, "/v1.0/directoryRoles")
	viaRoles := map[string]int{}
	for _, role := range roles {
		members, _, _ := collect(t, s, DefaultToken, "/v1.0/directoryRoles/"+role["id"].(string)+"/members?$top=2")
		for _, m := range members {
			viaRoles[m["id"].(string)+" "+role["roleTemplateId"].(string)]++
		}
	}
	if len(viaRoles) != len(want) {
		t.Fatalf("directoryRoles members %v, want %v", viaRoles, want)
	}
	for k, n := range want {
		if viaRoles[k] != n {
			t.Errorf("directoryRoles: %s %d times, want %d", k, viaRoles[k], n)
		}
	}
}

func TestUserRegistrationDetails(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		wantStatus int
	}{
		{name: "P1 tenant", wantStatus: http.StatusOK},
		{name: "free tenant", opts: Options{WithoutP1: true}, wantStatus: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, tt.opts)
			path := "/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=999"
			status, _, body := get(t, s, DefaultToken, path)
			if status != tt.wantStatus {
				t.Fatalf("%d %v", status, body)
			}
			if status != http.StatusOK {
				if graphCode(body) != codeNonPremium {
					t.Errorf("code %s", graphCode(body))
				}
				return
			}
			c := s.Company()
			byUser := byID(values(body))
			registered, unregistered := 0, 0
			for i := range c.People {
				id, ok := s.UserIDOf(i)
				if !ok {
					continue
				}
				rd := byUser[id]
				wantMFA := false
				for _, f := range c.People[i].Factors {
					if f.Active && f.Type != providersim.FactorEmail && f.Type != providersim.FactorQuestion {
						wantMFA = true
					}
				}
				if rd["isMfaRegistered"] != wantMFA || rd["isAdmin"] != c.People[i].IsAdmin() {
					t.Fatalf("%s: %v, want isMfaRegistered %v", c.People[i].ID, rd, wantMFA)
				}
				if wantMFA {
					registered++
				} else {
					unregistered++
				}
			}
			if registered == 0 || unregistered == 0 {
				t.Errorf("%d registered, %d not: want both", registered, unregistered)
			}
		})
	}
}

func TestAppPermissions(t *testing.T) {
	only := App{ClientID: "55555555-3333-4444-5555-666666666666", Secret: "s5", Roles: []string{"User.Read.All"}}
	s, _ := newServer(t, Options{Apps: []App{only}})
	_, tok := postToken(t, s, s.TenantID(), url.Values{"grant_type": {"client_credentials"}, "client_id": {only.ClientID},
		"client_secret": {only.Secret}, "scope": {GraphScope}})
	for _, path := range []string{"/v1.0/applications", "/v1.0/servicePrincipals", "/v1.0/oauth2PermissionGrants",
		"/v1.0/roleManagement/directory/roleAssignments", "/v1.0/directoryRoles", "/v1.0/reports/authenticationMethods/userRegistrationDetails"} {
		if status, _, body := get(t, s, tok["access_token"].(string), path); status != http.StatusForbidden || graphCode(body) != codeDenied {
			t.Errorf("%s without its permission: %d %v", path, status, body)
		}
	}
}
