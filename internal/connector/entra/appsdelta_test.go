package entra_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestDeltaRunRequests: after a small change (a user disabled, a membership added, an enterprise application
// disabled) a delta run reads the users, groups, service principals and applications deltas, re-reads owners and
// app role assignments only of the changed service principal, leaves OAuth grants and MFA registration to their
// daily read, stays within the request bound, stores the change and expires nothing. A day later grants and
// MFA are read again; a week later a full enumeration reads every app's owners.
func TestDeltaRunRequests(t *testing.T) {
	e := newDeltaEnv(t)
	sim := e.tn.sim
	sim.ResetStats()
	e.sync(t)
	first := sim.Stats().ByRoute
	firstTotal := total(sim.Stats())
	grantsQ := `SELECT count(*)::text FROM credentials WHERE connector_id = $1 AND kind = 'oauth_grant' AND expired_at IS NULL`
	grants := e.live(t, grantsQ)

	sps := sim.ServicePrincipalIDs()
	changed := sps[len(sps)/2]
	must(t, sim.SetServicePrincipalEnabled(changed, false))
	users, groups := sim.UserIDs(), sim.GroupIDs()
	must(t, sim.SetAccountEnabled(users[3], false))
	must(t, sim.AddMember(groups[0], users[4]))

	sim.ResetStats()
	res := e.sync(t)
	st := sim.Stats().ByRoute
	deltaTotal := total(sim.Stats())
	t.Logf("first sync %d requests, delta run %d: %v", firstTotal, deltaTotal, st)
	for route, limit := range map[string]int{
		"/v1.0/servicePrincipals/{id}/owners":                         1,
		"/v1.0/servicePrincipals/{id}/appRoleAssignedTo":              1,
		"/v1.0/applications/{id}/owners":                              0,
		"/v1.0/applications":                                          0,
		"/v1.0/oauth2PermissionGrants":                                0,
		"/v1.0/reports/authenticationMethods/userRegistrationDetails": 0,
	} {
		if st[route] > limit {
			t.Errorf("the delta run read %s %d times, want at most %d", route, st[route], limit)
		}
	}
	if st["/v1.0/servicePrincipals/delta"] == 0 || st["/v1.0/applications/delta"] == 0 {
		t.Errorf("the delta run read no apps delta: %v", st)
	}
	// The bound on this small tenant (7-item pages): at most 15% of the first sync's requests. What remains is
	// fixed per run (directory roles and their members, the service principal index, one page of each delta,
	// the subscriptions) plus two requests per changed service principal; on the benchmark tenant the same
	// parts are under 2% of the first sync.
	if deltaTotal*100 > firstTotal*15 {
		t.Errorf("the delta run made %d requests, more than 15%% of the first sync's %d", deltaTotal, firstTotal)
	}
	for e, n := range res.Expired {
		if n != 0 {
			t.Errorf("the delta run expired %d %s", n, e)
		}
	}
	spQ := `SELECT status FROM accounts WHERE connector_id = $1 AND external_id = $2 AND expired_at IS NULL`
	if got := e.live(t, spQ, "sp:"+changed); got != "suspended" {
		t.Errorf("the disabled service principal's account is %q, want suspended", got)
	}
	if got := e.live(t, grantsQ); got != grants {
		t.Errorf("live OAuth grants %s after the delta run, want %s", got, grants)
	}

	e.clk.Advance(24 * time.Hour) // grants and MFA are due again
	sim.ResetStats()
	e.sync(t)
	st = sim.Stats().ByRoute
	if st["/v1.0/oauth2PermissionGrants"] == 0 || st["/v1.0/reports/authenticationMethods/userRegistrationDetails"] == 0 {
		t.Errorf("a day later grants and MFA were not read: %v", st)
	}
	if st["/v1.0/servicePrincipals/{id}/owners"] > 1 {
		t.Errorf("a delta run read %d service principal owners", st["/v1.0/servicePrincipals/{id}/owners"])
	}

	e.clk.Advance(8 * 24 * time.Hour) // the weekly re-enumeration
	sim.ResetStats()
	res = e.sync(t)
	st = sim.Stats().ByRoute
	if st["/v1.0/servicePrincipals/{id}/owners"] != first["/v1.0/servicePrincipals/{id}/owners"] || st["/v1.0/applications"] == 0 {
		t.Errorf("the full re-enumeration read owners %d times (first sync %d), applications %d",
			st["/v1.0/servicePrincipals/{id}/owners"], first["/v1.0/servicePrincipals/{id}/owners"], st["/v1.0/applications"])
	}
	if len(res.Run.Unavailable) != 0 {
		t.Errorf("the full re-enumeration left %v unavailable", res.Run.Unavailable)
	}
}

// TestAppsDeltaLinkGoneFallsBackToFullEnumeration: a service principals deltaLink Graph answers with 410 starts
// a full enumeration of the apps in the same run, which says so; the run after it applies the apps delta again.
func TestAppsDeltaLinkGoneFallsBackToFullEnumeration(t *testing.T) {
	e := newDeltaEnv(t)
	e.sync(t)
	e.tn.sim.AddFault(entrasim.Fault{Path: "/v1.0/servicePrincipals/delta", Status: http.StatusGone, Times: 1})
	var msgs []string
	opts := testOptions(e.clk)
	e.runner.Sources = func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		src, err := opts.NewSource(ctx, c, e.tn.Secret())
		return &recording{Source: src, msgs: &msgs}, err
	}
	e.tn.sim.ResetStats()
	e.sync(t)
	if !strings.Contains(strings.Join(msgs, "\n"), "the apps deltaLink was refused") {
		t.Errorf("the run does not say the deltaLink was refused: %q", msgs)
	}
	if e.tn.sim.Stats().ByRoute["/v1.0/applications"] == 0 {
		t.Error("no full enumeration of the apps after the 410")
	}
	e.tn.sim.ResetStats()
	e.sync(t)
	if st := e.tn.sim.Stats().ByRoute; st["/v1.0/applications"] != 0 || st["/v1.0/servicePrincipals/delta"] == 0 {
		t.Errorf("the run after the fallback did not apply the apps delta: %v", st)
	}
}

// TestAppsDeltaResumesBetweenSteps: with one request per step (a new Source for every step, as after a crash or
// at the time budget), a delta round of the apps stage resumes from its cursor: every changed service principal
// is stored, nothing expires, and the next run applies the delta again.
func TestAppsDeltaResumesBetweenSteps(t *testing.T) {
	e := newDeltaEnv(t)
	e.sync(t)
	opts := testOptions(e.clk)
	e.runner.Sources = func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		src, err := opts.NewSource(ctx, c, e.tn.Secret())
		if err == nil {
			entra.SetStepLimits(src, 1, 1)
		}
		return src, err
	}
	sps := e.tn.sim.ServicePrincipalIDs()
	var changed []string // more than a delta page (7 here) holds
	for i := 0; i < len(sps) && len(changed) < 10; i += 2 {
		changed = append(changed, sps[i])
	}
	if len(changed) <= 7 {
		t.Fatalf("only %d service principals to change", len(changed))
	}
	for _, id := range changed {
		must(t, e.tn.sim.SetServicePrincipalEnabled(id, false))
	}
	e.tn.sim.ResetStats()
	res := e.sync(t)
	for ent, n := range res.Expired {
		if n != 0 {
			t.Errorf("the delta run expired %d %s", n, ent)
		}
	}
	q := `SELECT status FROM accounts WHERE connector_id = $1 AND external_id = $2 AND expired_at IS NULL`
	for _, id := range changed {
		if got := e.live(t, q, "sp:"+id); got != "suspended" {
			t.Errorf("service principal %s: account %q, want suspended", id, got)
		}
	}
	if st := e.tn.sim.Stats().ByRoute; st["/v1.0/servicePrincipals/{id}/owners"] > len(changed) || st["/v1.0/applications"] != 0 {
		t.Errorf("the resumed delta run read owners %d times, applications %d", st["/v1.0/servicePrincipals/{id}/owners"], st["/v1.0/applications"])
	}
	e.tn.sim.ResetStats()
	e.sync(t)
	if st := e.tn.sim.Stats().ByRoute; st["/v1.0/applications"] != 0 || st["/v1.0/servicePrincipals/delta"] == 0 {
		t.Errorf("the next run did not apply the apps delta: %v", st)
	}
}

// TestAppsDeltaDeletedServicePrincipal: a service principal deleted between runs is reported @removed by the
// delta: the delta run reads none of its owners or assignments, succeeds, and expires at once its resource with
// the grants on it and its account with the grants it holds; nothing else expires (its run's sweep expires
// nothing). Its client secrets and certificates, which @removed does not name, go at the weekly full
// re-enumeration.
func TestAppsDeltaDeletedServicePrincipal(t *testing.T) {
	e := newDeltaEnv(t)
	e.sync(t)
	// a service principal with grants on it and client secrets or certificates
	gone := e.live(t, `SELECT r.external_id FROM resources r WHERE r.connector_id = $1 AND r.kind = 'app' AND r.expired_at IS NULL
		AND EXISTS (SELECT 1 FROM grants g WHERE g.connector_id = r.connector_id AND g.resource_external_id = r.external_id AND g.expired_at IS NULL)
		AND EXISTS (SELECT 1 FROM credentials c WHERE c.connector_id = r.connector_id AND c.owner_external_id = 'sp:' || r.external_id
		  AND c.expired_at IS NULL)
		ORDER BY 1 LIMIT 1`)
	if gone == "" {
		t.Fatal("no service principal with grants and credentials")
	}
	must(t, e.tn.sim.DeleteServicePrincipal(gone))
	before := e.liveKeys(t)
	e.tn.sim.ResetStats()
	res := e.sync(t)
	if st := e.tn.sim.Stats().ByRoute; st["/v1.0/servicePrincipals/{id}/owners"] != 0 || st["/v1.0/servicePrincipals/{id}/appRoleAssignedTo"] != 0 {
		t.Errorf("the delta run read children of a removed service principal: %v", st)
	}
	for ent, n := range res.Expired {
		if n != 0 {
			t.Errorf("the delta run's sweep expired %d %s", n, ent)
		}
	}
	after := e.liveKeys(t)
	var expired, onIt, held []string
	for k := range before {
		if after[k] {
			continue
		}
		expired = append(expired, k)
		switch table, key, _ := strings.Cut(k, " "); {
		case table == "resources" && key == gone, table == "accounts" && key == "sp:"+gone:
		case table == "grants" && strings.HasPrefix(key, "sp:"+gone+"|"):
			held = append(held, k)
		case table == "grants" && strings.Split(key, "|")[1] == gone:
			onIt = append(onIt, k)
		default:
			t.Errorf("%s expired too", k)
		}
	}
	for _, k := range []string{"resources " + gone, "accounts sp:" + gone} {
		if !slices.Contains(expired, k) {
			t.Errorf("%s live after the delta run: want expired at once", k)
		}
	}
	if len(onIt) == 0 {
		t.Errorf("no grant on %s expired; expired: %v", gone, expired)
	}
	t.Logf("expired %d grants on it, %d held by it", len(onIt), len(held))
	for k := range after {
		if !before[k] {
			t.Errorf("%s live after the delta run only", k)
		}
	}
	creds := `SELECT count(*)::text FROM credentials WHERE connector_id = $1 AND owner_external_id = $2 AND expired_at IS NULL`
	if e.live(t, creds, "sp:"+gone) == "0" {
		t.Error("the delta run expired the service principal's credentials, which @removed does not name")
	}
	e.clk.Advance(8 * 24 * time.Hour)
	e.sync(t)
	if n := e.live(t, creds, "sp:"+gone); n != "0" {
		t.Errorf("the full re-enumeration kept %s of the deleted service principal's credentials", n)
	}
	if e.live(t, `SELECT external_id FROM resources WHERE connector_id = $1 AND external_id = $2 AND expired_at IS NULL`, gone) != "" {
		t.Error("the full re-enumeration brought the deleted service principal back")
	}
}

// TestTailedAppChangesRefreshOwnersAndAssignments: owners and app role assignments that change without their app
// changing (the apps delta does not report them) are kept current from the directory audit: the refresh after
// the tailed events re-reads each named service principal's owners and assignments, stores the new owner, and
// expires the removed owner and assignment at once; no other grant changes.
func TestTailedAppChangesRefreshOwnersAndAssignments(t *testing.T) {
	e := newDeltaEnv(t)
	ctx := context.Background()
	sim := e.tn.sim
	e.sync(t)
	src, err := testOptions(e.clk).NewSource(ctx, e.conn, e.tn.Secret())
	if err != nil {
		t.Fatal(err)
	}
	_, cursor, _ := readAll(t, src, entra.StreamDirectoryAudits, "")
	var ownerSP, owner, assignedSP, assigned string
	err = e.db.Pool().QueryRow(ctx, `SELECT g.resource_external_id, g.principal_external_id FROM grants g JOIN resources r
		ON r.connector_id = g.connector_id AND r.external_id = g.resource_external_id AND r.kind = 'app'
		WHERE g.connector_id = $1 AND g.permission = 'owner' AND g.expired_at IS NULL ORDER BY 1, 2 LIMIT 1`, e.conn.ID).Scan(&ownerSP, &owner)
	if err != nil {
		t.Fatal(err)
	}
	err = e.db.Pool().QueryRow(ctx, `SELECT g.resource_external_id, g.principal_external_id FROM grants g JOIN accounts a
		ON a.connector_id = g.connector_id AND a.external_id = g.principal_external_id AND a.kind = 'user'
		WHERE g.connector_id = $1 AND g.permission = 'access' AND g.expired_at IS NULL ORDER BY 1, 2 LIMIT 1`, e.conn.ID).Scan(&assignedSP, &assigned)
	if err != nil {
		t.Fatal(err)
	}
	newOwner := sim.UserIDs()[5]
	must(t, sim.RemoveOwner(ownerSP, owner))
	must(t, sim.AddOwner(assignedSP, newOwner))
	must(t, sim.RemoveAppRoleAssignment(assignedSP, assigned))
	e.clk.Advance(time.Minute)
	tailed, _, _ := readAll(t, src, entra.StreamDirectoryAudits, cursor)
	var events []sspm.Event
	for _, ev := range tailed {
		events = append(events, ev)
	}
	before := e.liveKeys(t)
	page, err := src.RefreshEvents(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.WriteRefreshFor(ctx, e.conn.ID, &page, postgres.ChangeCause{}); err != nil {
		t.Fatal(err)
	}
	after := e.liveKeys(t)
	gone := []string{"grants " + owner + "|" + ownerSP + "|owner|", "grants " + assigned + "|" + assignedSP + "|access|"}
	added := "grants " + newOwner + "|" + assignedSP + "|owner|"
	for _, k := range gone {
		if !before[k] || after[k] {
			t.Errorf("%s: live before %v, after %v; want expired at once", k, before[k], after[k])
		}
	}
	if !after[added] {
		t.Errorf("the new owner's grant %s is not stored", added)
	}
	for k := range before {
		if !after[k] && !slices.Contains(gone, k) {
			t.Errorf("%s expired too", k)
		}
	}
	for k := range after {
		if !before[k] && k != added {
			t.Errorf("%s is new", k)
		}
	}
}
