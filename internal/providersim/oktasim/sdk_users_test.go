package oktasim

import (
	"context"
	"testing"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// TestSDKListsUsersOverManyPages pages through every user with the SDK's
// resp.Next, as a connector does, and checks nothing is lost or repeated.
func TestSDKListsUsersOverManyPages(t *testing.T) {
	tests := []struct {
		name      string
		search    string
		limit     int32
		wantDepro bool
	}{
		{name: "default excludes deprovisioned", limit: 200},
		{name: "small pages", limit: 37},
		{name: "deprovisioned by search", search: `status eq "DEPROVISIONED"`, limit: 50, wantDepro: true},
	}
	c := company(t, providersim.Medium())
	s := New(c, Options{})
	defer s.Close()
	client := sdkClient(t, s)
	want := map[string]int{}
	for i := range c.People {
		p := &c.People[i]
		if p.HasAccount(providersim.Okta) {
			want[oktaStatus(p)]++
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := client.UserAPI.ListUsers(context.Background()).Limit(tt.limit)
			if tt.search != "" {
				req = req.Search(tt.search)
			}
			users, resp, err := req.Execute()
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			pages := 1
			for {
				for _, u := range users {
					if seen[u.GetId()] {
						t.Fatalf("user %s listed twice", u.GetId())
					}
					seen[u.GetId()] = true
					if (u.GetStatus() == "DEPROVISIONED") != tt.wantDepro {
						t.Fatalf("user %s has status %s", u.GetId(), u.GetStatus())
					}
					if u.Profile == nil || u.Profile.GetLogin() == "" || u.Credentials.Provider.GetType() == "" {
						t.Fatalf("user %s lacks profile or credentials", u.GetId())
					}
				}
				if !resp.HasNextPage() {
					break
				}
				users = nil
				if resp, err = resp.Next(&users); err != nil {
					t.Fatal(err)
				}
				pages++
			}
			wantN := want["DEPROVISIONED"]
			if !tt.wantDepro {
				wantN = 0
				for st, n := range want {
					if st != "DEPROVISIONED" {
						wantN += n
					}
				}
			}
			if len(seen) != wantN {
				t.Errorf("listed %d users over %d pages, want %d", len(seen), pages, wantN)
			}
			if minPages := (wantN + int(tt.limit) - 1) / int(tt.limit); pages != minPages {
				t.Errorf("took %d pages, want %d", pages, minPages)
			}
		})
	}
}

// TestSDKGetsUserByLogin checks the one-user read and Okta's 404 body as
// the SDK parses it.
func TestSDKGetsUserByLogin(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	client := sdkClient(t, s)
	id, ok := s.UserID(c.People[0].ID)
	if !ok {
		t.Fatal("first person has no Okta user")
	}
	u, _, err := client.UserAPI.GetUser(context.Background(), c.People[0].Email).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if u.GetId() != id {
		t.Errorf("got user %s, want %s", u.GetId(), id)
	}
	_, resp, err := client.UserAPI.GetUser(context.Background(), "00unothere").Execute()
	if err == nil || resp.StatusCode != 404 {
		t.Fatalf("got err %v, status %v; want a 404 error", err, resp)
	}
	apiErr, ok := err.(*okta.GenericOpenAPIError)
	if !ok {
		t.Fatalf("error is %T, want *okta.GenericOpenAPIError", err)
	}
	model, ok := apiErr.Model().(okta.Error)
	if !ok || model.GetErrorCode() != "E0000007" || model.GetErrorId() == "" {
		t.Errorf("error model = %#v, want errorCode E0000007 with an errorId", apiErr.Model())
	}
}
