package identity_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/identity"
)

var (
	horizon = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	recent  = horizon.Add(24 * time.Hour)
	old     = horizon.Add(-24 * time.Hour)
	yes, no = true, false
)

// idp and app are accounts in an authoritative source and in another source.
func idp(id int64, active bool) identity.Account {
	return identity.Account{ID: id, ConnectorID: "okta", Authoritative: true, Active: active, LastLoginAt: recent}
}

func app(id int64, active bool) identity.Account {
	return identity.Account{ID: id, ConnectorID: "github", Active: active, LastLoginAt: recent}
}

func with(a identity.Account, f func(*identity.Account)) identity.Account {
	f(&a)
	return a
}

func TestRollupFlags(t *testing.T) {
	admin := func(a *identity.Account) { a.IsAdmin = true }
	mfa := func(v *bool) func(*identity.Account) { return func(a *identity.Account) { a.MFAEnrolled = v } }
	login := func(at time.Time) func(*identity.Account) { return func(a *identity.Account) { a.LastLoginAt = at } }
	tests := []struct {
		name string
		give []identity.Account
		want identity.Flags
	}{
		{"active everywhere", []identity.Account{idp(1, true), app(2, true)}, identity.Flags{Anchored: true}},
		{"deprovisioned in the identity provider, active in an app: leaver",
			[]identity.Account{idp(1, false), app(2, true)}, identity.Flags{Anchored: true, Leaver: true}},
		{"deprovisioned everywhere: not a leaver", []identity.Account{idp(1, false), app(2, false)}, identity.Flags{Anchored: true}},
		{"deprovisioned in the identity provider only", []identity.Account{idp(1, false)}, identity.Flags{Anchored: true}},
		{"inactive in an app, no authoritative source: not a leaver", []identity.Account{app(1, false), app(2, true)}, identity.Flags{}},
		{"an admin grant in any source: privileged", []identity.Account{idp(1, true), with(app(2, true), admin)},
			identity.Flags{Anchored: true, Privileged: true}},
		{"every known MFA signal enrolled", []identity.Account{with(idp(1, true), mfa(&yes)), app(2, true)},
			identity.Flags{Anchored: true, MFA: &yes}},
		{"one account without MFA", []identity.Account{with(idp(1, true), mfa(&yes)), with(app(2, true), mfa(&no))},
			identity.Flags{Anchored: true, MFA: &no}},
		{"no activity since the horizon: stale", []identity.Account{with(app(1, true), login(old))}, identity.Flags{Stale: true}},
		{"no activity ever: stale", []identity.Account{with(app(1, true), login(time.Time{}))}, identity.Flags{Stale: true}},
		{"one recent login is enough", []identity.Account{with(app(1, true), login(old)), app(2, true)}, identity.Flags{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := identity.Rollup(identity.Attributes{}, tt.give, horizon)
			if fmt.Sprint(flags(got.Flags)) != fmt.Sprint(flags(tt.want)) {
				t.Errorf("flags = %v, want %v", flags(got.Flags), flags(tt.want))
			}
		})
	}
}

// flags prints MFA's value rather than its address.
func flags(f identity.Flags) string {
	mfa := "unknown"
	if f.MFA != nil {
		mfa = fmt.Sprint(*f.MFA)
	}
	return fmt.Sprintf("anchored=%v privileged=%v mfa=%s stale=%v leaver=%v", f.Anchored, f.Privileged, mfa, f.Stale, f.Leaver)
}

func TestRollupAttributes(t *testing.T) {
	named := func(name, email, status string) func(*identity.Account) {
		return func(a *identity.Account) { a.DisplayName, a.Email, a.Status = name, email, status }
	}
	current := identity.Attributes{DisplayName: "Kept", PrimaryEmail: "kept@example.com", Status: "KEPT"}
	tests := []struct {
		name                      string
		give                      []identity.Account
		wantName, wantEmail, want string // want: the status
	}{
		{"authoritative source first, even deprovisioned",
			[]identity.Account{with(app(1, true), named("App", "app@example.com", "active")), with(idp(9, false), named("Idp", "idp@example.com", "DEPROVISIONED"))},
			"Idp", "idp@example.com", "DEPROVISIONED"},
		{"then active accounts for the name, the oldest for the status",
			[]identity.Account{with(app(1, false), named("Old", "old@example.com", "suspended")), with(app(2, true), named("New", "new@example.com", "active"))},
			"New", "new@example.com", "suspended"},
		{"then the oldest", []identity.Account{with(app(3, true), named("C", "c@example.com", "c")), with(app(2, true), named("B", "b@example.com", "b"))},
			"B", "b@example.com", "b"},
		{"an empty name is skipped", []identity.Account{with(idp(1, true), named("", "idp@example.com", "ACTIVE")), with(app(2, true), named("App", "", "active"))},
			"App", "idp@example.com", "ACTIVE"},
		{"no names or emails: the identity keeps its own", []identity.Account{with(app(1, true), named("", "", "active"))},
			"Kept", "kept@example.com", "active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := identity.Rollup(current, tt.give, horizon)
			if got.DisplayName != tt.wantName || got.PrimaryEmail != tt.wantEmail || got.Status != tt.want {
				t.Errorf("got %q %q %q, want %q %q %q", got.DisplayName, got.PrimaryEmail, got.Status, tt.wantName, tt.wantEmail, tt.want)
			}
		})
	}

	got := identity.Rollup(current, []identity.Account{app(3, true), idp(1, true), with(app(2, true), func(a *identity.Account) { a.LastLoginAt = old })}, horizon)
	if got.Accounts != 3 || fmt.Sprint(got.Connectors) != "[github okta]" || !got.LastSeenAt.Equal(recent) {
		t.Errorf("accounts %d, connectors %v, last seen %s", got.Accounts, got.Connectors, got.LastSeenAt)
	}
	if !got.Equal(identity.Rollup(got, []identity.Account{idp(1, true), app(2, true), app(3, true)}, horizon)) {
		t.Error("the same accounts in another order give other attributes")
	}
	if got.Equal(identity.Rollup(got, []identity.Account{idp(1, false), app(2, true)}, horizon)) {
		t.Error("a deprovisioning is not a change")
	}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		give identity.Flags
		want []string // the checks that hold
	}{
		{identity.Flags{}, nil},
		{identity.Flags{Leaver: true}, []string{"IDENT-LEAVER-001"}},
		{identity.Flags{Privileged: true}, nil}, // MFA unknown: nothing is known to be missing
		{identity.Flags{Privileged: true, MFA: &no}, []string{"IDENT-MFA-001"}},
		{identity.Flags{Privileged: true, MFA: &yes, Stale: true}, []string{"IDENT-STALE-001"}},
		{identity.Flags{MFA: &no, Stale: true}, nil}, // not privileged
		{identity.Flags{Leaver: true, Privileged: true, MFA: &no, Stale: true}, []string{"IDENT-LEAVER-001", "IDENT-MFA-001", "IDENT-STALE-001"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range identity.Checks() {
			if c.Holds(tt.give) {
				got = append(got, c.Key)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: checks %v, want %v", flags(tt.give), got, tt.want)
		}
	}
	if k := identity.DedupeKey("IDENT-MFA-001", 7); k != "identity:IDENT-MFA-001:7" {
		t.Errorf("dedupe key %q", k)
	}
}
