package datadog_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// newSim serves a small company's organization with opts.
func newSim(t *testing.T, opts ddsim.Options) *ddsim.Server {
	t.Helper()
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := ddsim.New(company, opts)
	t.Cleanup(sim.Close)
	return sim
}

func newSource(t *testing.T, sim *ddsim.Server, secret []byte) *datadog.Source {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"site": sim.URL()})
	src, err := datadog.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, PageSize: 7}.NewSource(context.Background(),
		sspm.Connector{ID: "dd", Kind: sspm.KindDatadog, Config: raw}, secret)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func secretOf(api, app string) []byte {
	b, _ := json.Marshal(map[string]string{"api_key": api, "application_key": app})
	return b
}

// TestFullSyncMapsTheOrganization: users (service accounts as service accounts; status, MFA, last login), roles
// as groups with their members and grants, API and application keys as credentials with owners, scopes and last
// use, and nothing of a key's value anywhere.
func TestFullSyncMapsTheOrganization(t *testing.T) {
	sim := newSim(t, ddsim.Options{})
	all := drainAll(t, newSource(t, sim, defaultSecret()))

	users := sim.Users()
	if len(all.Accounts) != len(users) {
		t.Fatalf("%d accounts, the org has %d users", len(all.Accounts), len(users))
	}
	byID := map[string]sspm.Account{}
	for _, a := range all.Accounts {
		byID[a.ExternalID] = a
	}
	services, members := 0, 0
	for _, u := range users {
		a, ok := byID[u.ID]
		if !ok {
			t.Fatalf("user %s not read", u.ID)
		}
		wantKind := sspm.AccountUser
		if u.ServiceAccount {
			wantKind, services = sspm.AccountServiceAccount, services+1
		}
		wantStatus := map[string]string{"Active": "active", "Pending": "pending", "Disabled": "suspended"}[u.Status]
		if a.Kind != wantKind || a.Status != wantStatus || a.Active != (u.Status == "Active") || a.Username != u.Handle ||
			a.MFAEnrolled == nil || *a.MFAEnrolled != u.MFA || !a.LastLoginAt.Equal(u.LastLogin.Truncate(time.Microsecond)) || a.Email != u.Email {
			a.Raw = nil
			t.Errorf("user %s (%s %s %s) → %+v", u.ID, u.Status, u.Handle, u.LastLogin, a)
		}
		members += len(u.Roles)
	}
	if services == 0 {
		t.Fatal("the org has no service account: the test shows nothing")
	}
	if len(all.GroupMembers) != members || len(all.Groups) != len(sim.Roles()) {
		t.Errorf("%d memberships of %d roles, want %d of %d", len(all.GroupMembers), len(all.Groups), members, len(sim.Roles()))
	}
	if len(all.Resources) != 1 || all.Resources[0].ExternalID != datadog.OrgResourceID {
		t.Errorf("resources %+v; want the organization", all.Resources)
	}

	keys := sim.Keys()
	if len(all.Credentials) != len(keys) {
		t.Fatalf("%d credentials, the org has %d keys", len(all.Credentials), len(keys))
	}
	creds := map[string]sspm.Credential{}
	for _, c := range all.Credentials {
		creds[c.ExternalID] = c
	}
	for _, k := range keys {
		c := creds[k.ID]
		kind := map[string]string{"api_key": datadog.CredentialAPIKey, "application_key": datadog.CredentialAppKey}[k.Kind]
		if c.Kind != kind || c.OwnerExternalID != k.OwnerID || c.Name != k.Name || !c.LastUsedAt.Equal(k.LastUsed.Truncate(time.Microsecond)) ||
			!c.CreatedAt.Equal(k.Created.Truncate(time.Microsecond)) || !slices.Equal(c.Scopes, k.Scopes) {
			c.Raw = nil
			t.Errorf("key %s %+v → %+v", k.ID, k, c)
		}
	}
	for _, raw := range rawsOf(all) {
		for _, secret := range []string{ddsim.DefaultAPIKey, ddsim.DefaultAppKey} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("a stored row holds a key: %s", raw)
			}
		}
	}
}

func rawsOf(p sspm.Page) []json.RawMessage {
	var out []json.RawMessage
	for _, a := range p.Accounts {
		out = append(out, a.Raw)
	}
	for _, g := range p.Groups {
		out = append(out, g.Raw)
	}
	for _, c := range p.Credentials {
		out = append(out, c.Raw)
	}
	for _, r := range p.Resources {
		out = append(out, r.Raw)
	}
	return out
}

// TestAdminFromRolePermissions: an account is an admin exactly when one of its roles is the Datadog Admin Role or
// holds an admin-grade permission, whatever the role's name (the simulator's Security Engineering and User
// Managers roles); a role of read permissions only (Compliance Auditors) makes no admin.
func TestAdminFromRolePermissions(t *testing.T) {
	sim := newSim(t, ddsim.Options{ExtraRoles: 3})
	all := drainAll(t, newSource(t, sim, defaultSecret()))
	grade := map[string]string{}
	for _, r := range sim.Roles() {
		grade[r.Name] = datadog.AdminGrade(r.Name, r.Permissions)
		held := slices.ContainsFunc(r.Permissions, func(p string) bool { return slices.Contains(ddsim.AdminGradePermissions(), p) })
		if (grade[r.Name] != "") != (held || r.Name == ddsim.RoleAdmin) {
			t.Errorf("role %s %v: grade %q", r.Name, r.Permissions, grade[r.Name])
		}
	}
	for name, want := range map[string]string{ddsim.RoleAdmin: datadog.GradeSuper, "Security Engineering": datadog.GradePrivileged,
		"User Managers": datadog.GradePrivileged, "Compliance Auditors": "", ddsim.RoleStandard: "", ddsim.RoleReadOnly: ""} {
		if grade[name] != want {
			t.Errorf("role %s: grade %q, want %q", name, grade[name], want)
		}
	}
	admin := map[string]bool{}
	for _, a := range all.Accounts {
		admin[a.ExternalID] = a.IsAdmin
	}
	byPermission := 0
	for _, u := range sim.Users() {
		want := slices.ContainsFunc(u.Roles, func(r string) bool { return grade[r] != "" })
		if admin[u.ID] != want {
			t.Errorf("user %s with roles %v: admin %v, want %v", u.Handle, u.Roles, admin[u.ID], want)
		}
		if want && !slices.Contains(u.Roles, ddsim.RoleAdmin) {
			byPermission++
		}
	}
	if byPermission == 0 {
		t.Fatal("no user is an admin by a custom role's permissions: the test shows nothing")
	}
}

// TestBadKeysFailTheFirstStep: keys the site does not know fail the first step (what a connection test runs) as
// an auth error that names the site and the permission, without the keys; a source never writes anything.
func TestBadKeysFailTheFirstStep(t *testing.T) {
	sim := newSim(t, ddsim.Options{})
	const api, app = "ffffffffffffffffffffffffffffffff", "ffffffffffffffffffffffffffffffffffffffff"
	src := newSource(t, sim, secretOf(api, app))
	res, err := src.Step(context.Background(), sspm.LaneFull, datadog.StageRoles, "")
	if err == nil || sspm.ErrorCode(err) != sspm.CodeUnauthorized || res.Page.Len() != 0 {
		t.Fatalf("bad keys: %v, %d rows; want an unauthorized error", err, res.Page.Len())
	}
	msg := err.Error()
	for _, want := range []string{"403", "not valid on 127.0.0.1", datadog.PermUserAccessRead} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, api) || strings.Contains(msg, app) {
		t.Fatalf("the error repeats a key: %s", msg)
	}
}

// TestKeyScopes: an application key without user_access_read fails the run naming it; one without api_keys_read
// or org_app_keys_read reads everything but those credentials, and the step says which scope to add.
func TestKeyScopes(t *testing.T) {
	all := []string{ddsim.PermUserAccessRead, ddsim.PermAPIKeysRead, ddsim.PermOrgAppKeysRead, ddsim.PermAuditLogsRead}
	without := func(p string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(x string) bool { return x == p })
	}
	sim := newSim(t, ddsim.Options{AppKeys: map[string][]string{
		"no-users": without(ddsim.PermUserAccessRead), "no-api": without(ddsim.PermAPIKeysRead),
		"no-app": without(ddsim.PermOrgAppKeysRead),
	}})
	ctx := context.Background()

	_, err := newSource(t, sim, secretOf(ddsim.DefaultAPIKey, "no-users")).Step(ctx, sspm.LaneFull, datadog.StageRoles, "")
	if sspm.ErrorCode(err) != sspm.CodeUnauthorized || !strings.Contains(err.Error(), "lacks user_access_read") {
		t.Fatalf("without user_access_read: %v", err)
	}
	for _, tt := range []struct{ key, stage, perm, kind string }{
		{"no-api", datadog.StageAPIKeys, ddsim.PermAPIKeysRead, datadog.CredentialAPIKey},
		{"no-app", datadog.StageAppKeys, ddsim.PermOrgAppKeysRead, datadog.CredentialAppKey},
	} {
		src := newSource(t, sim, secretOf(ddsim.DefaultAPIKey, tt.key))
		if _, err := src.Step(ctx, sspm.LaneFull, datadog.StageRoles, ""); err != nil {
			t.Fatalf("%s: roles: %v", tt.key, err)
		}
		res, err := src.Step(ctx, sspm.LaneFull, tt.stage, "")
		want := sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": tt.kind})
		if err != nil || !slices.Equal(res.Unavailable, []sspm.Entity{want}) || res.Next != "" ||
			!strings.Contains(res.Message, "add "+tt.perm) {
			t.Errorf("%s: %+v %v; want %s unavailable and the scope named", tt.key, res, err, want)
		}
	}
}

// TestSiteSelectsTheAPIHost: the site decides the one host the keys are sent to (api.{site}); the SDK reaches it
// through its server variables.
func TestSiteSelectsTheAPIHost(t *testing.T) {
	for site, host := range map[string]string{"datadoghq.eu": "api.datadoghq.eu", "US5": "api.us5.datadoghq.com",
		"ddog-gov.com": "api.ddog-gov.com", "ap1.datadoghq.com": "api.ap1.datadoghq.com"} {
		company, err := providersim.NewCompany(providersim.Small())
		if err != nil {
			t.Fatal(err)
		}
		sim := ddsim.NewHandler(company, ddsim.Options{})
		var seen []string
		rt := roundTrip(func(r *http.Request) (*http.Response, error) {
			seen = append(seen, r.URL.Scheme+"://"+r.Host)
			w := httptest.NewRecorder()
			sim.Handler().ServeHTTP(w, r)
			return w.Result(), nil
		})
		raw, _ := json.Marshal(map[string]any{"site": site})
		src, err := datadog.Options{HTTPClient: &http.Client{Transport: rt}}.NewSource(context.Background(),
			sspm.Connector{ID: "dd", Kind: sspm.KindDatadog, Config: raw}, defaultSecret())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Step(context.Background(), sspm.LaneFull, datadog.StageRoles, ""); err != nil {
			t.Fatalf("%s: %v", site, err)
		}
		for _, s := range seen {
			if s != "https://"+host {
				t.Errorf("site %s: a request went to %s, want https://%s", site, s, host)
			}
		}
		if len(seen) == 0 || !slices.Contains(sim.Hosts(), host) {
			t.Errorf("site %s: requests %v, hosts %v", site, seen, sim.Hosts())
		}
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRateLimitHeadersPaceTheRun: with a bucket of 3 requests a minute and the whole share, the users listing
// waits for each window's reset instead of being refused, and the step says so.
func TestRateLimitHeadersPaceTheRun(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sleep := func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil }
	sim := newSim(t, ddsim.Options{Clock: clock, RateLimits: map[string]int{ddsim.BucketUsers: 3}})
	raw, _ := json.Marshal(map[string]any{"site": sim.URL(), "rate_limit_share": 1})
	src, err := datadog.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, PageSize: 5, Now: clock, Sleep: sleep}.NewSource(
		context.Background(), sspm.Connector{ID: "dd", Kind: sspm.KindDatadog, Config: raw}, defaultSecret())
	if err != nil {
		t.Fatal(err)
	}
	start := now
	cursor, waited := "", ""
	pages := 0
	for {
		res, err := src.Step(context.Background(), sspm.LaneFull, datadog.StageUsers, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if res.Message != "" {
			waited = res.Message
		}
		if res.Next == "" {
			break
		}
		cursor = res.Next
	}
	st := sim.Stats()
	if st.RateLimited != 0 {
		t.Errorf("%d answers were 429: the headers should have paced the run", st.RateLimited)
	}
	if minWait := time.Duration((pages-1)/3) * time.Minute; now.Sub(start) < minWait-time.Minute || !strings.Contains(waited, "rate limit") {
		t.Errorf("%d pages took %s (message %q); 3 a minute need about %s", pages, now.Sub(start), waited, minWait)
	}
}
