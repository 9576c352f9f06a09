package googlesim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
)

func activities(t *testing.T, s *googlesim.Server, app, query string, n int) []googlesim.Activity {
	t.Helper()
	raw, _ := listAll(t, s, "/admin/reports/v1/activity/users/all/applications/"+app+"?"+query, "items", n)
	out := make([]googlesim.Activity, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestActivitiesNewestFirstWithinTheWindow: each application's activities come newest first, unique by (time,
// uniqueQualifier), within startTime and endTime, the same in small pages as in one.
func TestActivitiesNewestFirstWithinTheWindow(t *testing.T) {
	s, clk := newSim(t, googlesim.Options{})
	for _, app := range []string{"login", "token", "admin", "saml"} {
		all := activities(t, s, app, "", 1000)
		if len(all) < 3 {
			t.Fatalf("%s: %d activities", app, len(all))
		}
		paged := activities(t, s, app, "", 2)
		seen := map[googlesim.ActivityID]bool{}
		for i, a := range paged {
			if seen[a.ID] || a.ID.ApplicationName != app || a.ID.CustomerID != s.CustomerID() || a.Actor.Email == "" || len(a.Events) == 0 {
				t.Fatalf("%s: activity %d %+v (repeated %v)", app, i, a.ID, seen[a.ID])
			}
			seen[a.ID] = true
			if i > 0 && paged[i-1].ID.Time < a.ID.Time {
				t.Fatalf("%s: not newest first at %d", app, i)
			}
		}
		if len(paged) != len(all) {
			t.Fatalf("%s: %d in pages of 2, %d in one", app, len(paged), len(all))
		}
		mid, _ := time.Parse(time.RFC3339, all[len(all)/2].ID.Time)
		since := activities(t, s, app, "startTime="+url.QueryEscape(mid.Format(time.RFC3339Nano)), 1000)
		for _, a := range since {
			if at, _ := time.Parse(time.RFC3339, a.ID.Time); at.Before(mid) {
				t.Fatalf("%s: %s before startTime %s", app, a.ID.Time, mid)
			}
		}
		if len(since) == 0 || len(since) >= len(all) {
			t.Fatalf("%s: %d since the middle of %d", app, len(since), len(all))
		}
	}
	if code, _ := get(t, s, googlesim.DefaultToken, "/admin/reports/v1/activity/users/all/applications/nope", nil); code != http.StatusBadRequest {
		t.Fatalf("an unknown application: %d", code)
	}
	future := clk.Now().Add(time.Hour).Format(time.RFC3339)
	if code, _ := get(t, s, googlesim.DefaultToken, "/admin/reports/v1/activity/users/all/applications/login?startTime="+future, nil); code != http.StatusBadRequest {
		t.Fatalf("a start time in the future: %d", code)
	}
}

// TestActivityLagAndChanges: a change is recorded at the clock's time and shows up only after the
// application's lag.
func TestActivityLagAndChanges(t *testing.T) {
	s, clk := newSim(t, googlesim.Options{Lag: map[string]time.Duration{"token": time.Hour}})
	u := s.Users()[5]
	before := len(activities(t, s, "token", "", 1000))
	client, err := s.Authorize(u.PrimaryEmail, "Shiny Notes", []string{"https://www.googleapis.com/auth/drive.readonly"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(activities(t, s, "token", "", 1000)); n != before {
		t.Fatalf("an authorize within the lag is visible: %d → %d", before, n)
	}
	clk.t = clk.t.Add(time.Hour + time.Second)
	after := activities(t, s, "token", "eventName=authorize", 1000)
	if len(after) == 0 || after[0].Actor.ProfileID != u.ID {
		t.Fatalf("the authorize is not the newest activity after the lag: %+v", after[0])
	}
	if !slices.ContainsFunc(s.TokensOf(u.ID), func(tk googlesim.Token) bool { return tk.ClientID == client }) {
		t.Fatal("the authorize left no token")
	}
	if err := s.RecordLogin(u.ID); err != nil {
		t.Fatal(err)
	}
	if got := activities(t, s, "login", "", 1000); got[0].Actor.ProfileID != u.ID {
		t.Fatalf("the login is not the newest: %+v", got[0])
	}
	mine := activities(t, s, "login", "", 1000)
	var own []googlesim.Activity
	raw, _ := listAll(t, s, "/admin/reports/v1/activity/users/"+u.PrimaryEmail+"/applications/login", "items", 1000)
	for _, a := range mine {
		if a.Actor.ProfileID == u.ID {
			own = append(own, a)
		}
	}
	if len(raw) != len(own) {
		t.Fatalf("userKey filter: %d, want %d", len(raw), len(own))
	}
}
