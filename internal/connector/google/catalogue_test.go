package google_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestCatalogueMatchesGoogleEvents: activities the domain records, read by the tail, match the catalogue's
// Google matchers: a role assigned (EV-001, critical for the super admin role), 2SV disabled (EV-002), a user
// unsuspended after a suspension (EV-005) and an OAuth grant with a privileged scope (EV-006; an ordinary
// grant does not match).
func TestCatalogueMatchesGoogleEvents(t *testing.T) {
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	cat, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	users := e.sim.Users()
	bob := users[3]
	if _, err := e.sim.Authorize(bob.ID, "Mail Sweeper", []string{"https://mail.google.com/", "openid"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Authorize(bob.ID, "Calendar Peek", []string{"openid", "https://www.googleapis.com/auth/calendar.readonly"}); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"_SEED_ADMIN_ROLE", "_HELP_DESK_ADMIN_ROLE"} {
		if err := e.sim.AssignRole(users[4].ID, role); err != nil {
			t.Fatal(err)
		}
	}
	events := map[string][]sspm.Event{}
	ctx := context.Background()
	read := func(stream string) []sspm.Event {
		var out []sspm.Event
		cursor := ""
		for {
			p, err := e.src.ReadStream(ctx, stream, cursor)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Events...)
			cursor = p.Cursor
			if !p.More {
				return out
			}
		}
	}
	e.clk.Advance(time.Minute)
	for _, s := range []string{"token", "admin"} {
		events[s] = read(s)
	}
	match := func(stream string, evs []sspm.Event, lookback rules.Lookback) map[string][]string {
		got, err := cat.MatchEvents(ctx, string(sspm.KindGoogle), evs, nil, lookback)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, m := range got {
			out[m.Ref.Policy.ID] = append(out[m.Ref.Policy.ID], string(m.Severity))
		}
		return out
	}
	var mail, cal []sspm.Event
	for _, ev := range events["token"] {
		for _, tg := range ev.Targets {
			if tg.Type == "oauth_client" && tg.DisplayName == "Mail Sweeper" {
				mail = append(mail, ev)
			}
			if tg.Type == "oauth_client" && tg.DisplayName == "Calendar Peek" {
				cal = append(cal, ev)
			}
		}
	}
	if len(mail) != 1 || len(cal) != 1 || mail[0].Category != "oauth.grant" {
		t.Fatalf("%d mail and %d calendar grants read", len(mail), len(cal))
	}
	if got := match("token", mail, nil); len(got["EV-006"]) != 1 {
		t.Fatalf("a grant of https://mail.google.com/: %v", got)
	}
	if got := match("token", cal, nil); len(got) != 0 {
		t.Fatalf("an ordinary grant matched %v", got)
	}

	var assign []sspm.Event
	for _, ev := range events["admin"] {
		if ev.Type == "ASSIGN_ROLE" {
			assign = append(assign, ev)
		}
	}
	got := match("admin", assign, nil)
	if len(got["EV-001"]) != len(assign) || len(assign) != 2 || !slices.Contains(got["EV-001"], "critical") || !slices.Contains(got["EV-001"], "high") {
		t.Fatalf("%d role assignments matched %v", len(assign), got)
	}

	suspend := sspm.Event{ID: 1, ConnectorID: "g", SourceKind: sspm.KindGoogle, ProviderEventID: "admin/1/1", Type: "SUSPEND_USER", Category: "user.suspend", Outcome: "success",
		OccurredAt: e.clk.Now().Add(-time.Hour), Targets: []sspm.EventTarget{{Type: "user", ExternalID: "bob@acme.example"}}}
	unsuspend := suspend
	unsuspend.ID, unsuspend.ProviderEventID, unsuspend.Type, unsuspend.OccurredAt = 2, "admin/2/2", "UNSUSPEND_USER", e.clk.Now()
	prior := func(context.Context, rules.LookbackQuery) ([]sspm.Event, error) { return []sspm.Event{suspend}, nil }
	if got := match("admin", []sspm.Event{unsuspend}, prior); len(got["EV-005"]) != 1 {
		t.Fatalf("unsuspend after suspend: %v", got)
	}
	twoSV := sspm.Event{ProviderEventID: "login/1/1", Type: "2sv_disable", Category: "auth.mfa.remove", Outcome: "success", OccurredAt: e.clk.Now()}
	if got := match("login", []sspm.Event{twoSV}, nil); len(got["EV-002"]) != 1 {
		t.Fatalf("2sv_disable: %v", got)
	}
}
