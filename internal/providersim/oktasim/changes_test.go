package oktasim

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// newEvents returns the event types emitted since the log had n events.
func newEvents(s *Server, n int) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, e := range s.log.events[n:] {
		out = append(out, e.eventType)
	}
	return out
}

func logLen(s *Server) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.log.events)
}

// count returns the number of items the listing path returns over all pages.
func count(t *testing.T, s *Server, path string) int {
	t.Helper()
	n := 0
	for path != "" {
		resp, body := get(t, s, path)
		var page []json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		n += len(page)
		path = nextLink(t, s, resp)
	}
	return n
}

// TestChangesEmitEventsAndShowInTheAPI applies each change and checks both
// the System Log events and what the API then serves.
func TestChangesEmitEventsAndShowInTheAPI(t *testing.T) {
	c := company(t, providersim.Small())
	person := c.People[5].ID
	tests := []struct {
		name   string
		change func(t *testing.T, s *Server, user, group, app string) error
		want   []string
		check  func(t *testing.T, s *Server, user, group, app string)
	}{
		{"add user", func(t *testing.T, s *Server, _, _, _ string) error {
			_, err := s.AddUser(UserSpec{FirstName: "New", LastName: "Hire", Email: "new.hire@acme.example"})
			return err
		}, []string{"user.lifecycle.create", "user.lifecycle.activate"}, func(t *testing.T, s *Server, _, _, _ string) {
			if resp, _ := get(t, s, "/api/v1/users/new.hire@acme.example"); resp.StatusCode != 200 {
				t.Errorf("new user not served: %d", resp.StatusCode)
			}
		}},
		{"suspend", func(t *testing.T, s *Server, user, _, _ string) error { return s.SuspendUser(user) },
			[]string{"user.lifecycle.suspend"}, nil},
		{"update profile", func(t *testing.T, s *Server, user, _, _ string) error {
			title := "Principal Engineer"
			return s.UpdateUser(user, ProfileChange{Title: &title})
		}, []string{"user.account.update_profile"}, nil},
		{"add membership", func(t *testing.T, s *Server, user, group, _ string) error { return s.AddGroupMember(group, user) },
			[]string{"group.user_membership.add"}, nil},
		{"assign app", func(t *testing.T, s *Server, user, _, app string) error { return s.AssignUserToApp(app, user) },
			[]string{"application.user_membership.add"}, nil},
		{"assign group to app", func(t *testing.T, s *Server, user, group, app string) error {
			if err := s.AddGroupMember(group, user); err != nil {
				return err
			}
			return s.AssignGroupToApp(app, group)
		}, []string{"group.user_membership.add", "group.application_assignment.add", "application.user_membership.add"},
			func(t *testing.T, s *Server, _, group, app string) {
				if n := count(t, s, "/api/v1/apps/"+app+"/groups?expand=group"); n != 2 {
					t.Errorf("app has %d groups, want its access group and the new one", n)
				}
			}},
		{"factors", func(t *testing.T, s *Server, user, _, _ string) error {
			id, err := s.ActivateFactor(user, providersim.FactorWebAuthn)
			if err != nil {
				return err
			}
			return s.DeactivateFactor(user, id)
		}, []string{"user.mfa.factor.activate", "user.mfa.factor.deactivate"}, nil},
		{"evidence", func(t *testing.T, s *Server, user, _, app string) error {
			if err := s.RecordSSO(user, app); err != nil {
				return err
			}
			return s.RecordConsent(user, app, []string{"openid", "email"})
		}, []string{"user.authentication.sso", "app.oauth2.as.consent.grant"}, nil},
		{"deactivate and delete", func(t *testing.T, s *Server, _, _, app string) error {
			id, err := s.AddUser(UserSpec{FirstName: "Short", LastName: "Stay", Email: "short.stay@acme.example"})
			if err != nil {
				return err
			}
			if err := s.AssignUserToApp(app, id); err != nil {
				return err
			}
			return s.DeleteUser(id)
		}, []string{"user.lifecycle.create", "user.lifecycle.activate", "application.user_membership.add",
			"user.lifecycle.deactivate", "application.user_membership.remove", "user.lifecycle.delete.initiated"},
			func(t *testing.T, s *Server, _, _, _ string) {
				if resp, _ := get(t, s, "/api/v1/users/short.stay@acme.example"); resp.StatusCode != 404 {
					t.Errorf("deleted user answers %d", resp.StatusCode)
				}
			}},
		{"delete group", func(t *testing.T, s *Server, _, group, _ string) error { return s.DeleteGroup(group) },
			[]string{"group.lifecycle.delete"}, nil},
		{"unknown user", func(t *testing.T, s *Server, _, _, _ string) error {
			err := s.SuspendUser("00unobody")
			var nf *NotFoundError
			if !errors.As(err, &nf) {
				t.Errorf("got %v, want a NotFoundError", err)
			}
			return nil
		}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(c, Options{Clock: clocktest.New(c.Now.Add(time.Hour)).Now})
			defer s.Close()
			user, _ := s.UserID(person)
			group, _ := s.AddGroup("Project Falcon", "temporary")
			app, _ := s.AppID("asana")
			n := logLen(s)
			if err := tt.change(t, s, user, group, app); err != nil {
				t.Fatal(err)
			}
			if got := newEvents(s, n); !equalStrings(got, tt.want) {
				t.Errorf("events %v, want %v", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, s, user, group, app)
			}
		})
	}
}

// TestGroupAssignmentsFollowMembership checks that group-scoped app users
// come and go with the membership and the group assignment.
func TestGroupAssignmentsFollowMembership(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	app, _ := s.AppID("zoom")
	group, _ := s.AddGroup("Zoom users", "")
	var users []string
	for i := 1; len(users) < 3; i++ {
		if p := &c.People[i]; p.Status == providersim.Active && p.HasAccount(providersim.Okta) {
			id, _ := s.UserID(p.ID)
			users = append(users, id)
		}
	}
	before := count(t, s, "/api/v1/apps/"+app+"/users")
	inApp := func(u string) bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		_, ok := searchSeq(s.org.appByID[app].users, s.org.userByID[u].seq, appUserSeq)
		return ok
	}
	already := 0
	for _, u := range users {
		if inApp(u) {
			already++
		}
		if err := s.AddGroupMember(group, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AssignGroupToApp(app, group); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "/api/v1/apps/"+app+"/users"); got != before+3-already {
		t.Fatalf("after assigning the group: %d app users, want %d", got, before+3-already)
	}
	if err := s.UnassignGroupFromApp(app, group); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "/api/v1/apps/"+app+"/users"); got != before {
		t.Errorf("after unassigning the group: %d app users, want %d", got, before)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
