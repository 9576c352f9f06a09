package entra_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// deltaEnv is a tenant, a connector with delta on (weekly re-enumeration) stored in a database, and a runner.
type deltaEnv struct {
	clk    *clocktest.Clock
	tn     *entraTenant
	db     *postgres.DB
	runner *lane.Runner
	conn   sspm.Connector
}

func newDeltaEnv(t *testing.T) *deltaEnv {
	t.Helper()
	clk := clocktest.New(sourcetest.Start)
	tn := newEntraTenant(t, clk, 0, entrasim.Options{PageCap: 7})
	tn.resync = entra.DefaultFullResyncHours
	db := postgrestest.New(t, postgres.WithClock(clk.Now))
	e := &deltaEnv{clk: clk, tn: tn, db: db, conn: tn.Connector("delta")}
	if _, err := db.CreateConnector(context.Background(), e.conn, nil, ""); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(clk)
	e.runner = &lane.Runner{Store: db, Now: clk.Now, Sleep: clk.Sleep, LeaseTTL: time.Minute,
		Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
			return opts.NewSource(ctx, c, tn.Secret())
		}}
	return e
}

func (e *deltaEnv) sync(t *testing.T) lane.Result {
	t.Helper()
	e.clk.Advance(time.Hour)
	res, err := e.runner.Run(context.Background(), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: e.conn.ID}, "t", time.Time{})
	if err != nil || res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("sync: %s %v %v", res.Outcome, err, res.Err)
	}
	return res
}

// live reads one column of a live row of the connector's table, "" when there is none.
func (e *deltaEnv) live(t *testing.T, query string, args ...any) string {
	t.Helper()
	var out string
	err := e.db.Pool().QueryRow(context.Background(), query, append([]any{e.conn.ID}, args...)...).Scan(&out)
	if err != nil && !strings.Contains(err.Error(), "no rows") {
		t.Fatal(err)
	}
	return out
}

// liveKeys lists the connector's live inventory rows, each as "table key" with the key's columns joined by |.
func (e *deltaEnv) liveKeys(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for table, cols := range map[string]string{
		"accounts":      "external_id",
		"groups":        "external_id",
		"group_members": "group_external_id || '|' || member_external_id",
		"grants":        "principal_external_id || '|' || resource_external_id || '|' || permission || '|' || via_external_id",
		"credentials":   "external_id || '|' || owner_external_id",
		"resources":     "external_id",
	} {
		rows, err := e.db.Pool().Query(context.Background(), "SELECT "+cols+" FROM "+table+" WHERE connector_id = $1 AND expired_at IS NULL", e.conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			out[table+" "+k] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestDeltaBetweenFullEnumerations: the first run enumerates and keeps the deltaLinks; the next applies the users
// and groups delta (a new user, a disabled one, a new membership) without listing users or groups, and expires
// at once exactly what the delta reports removed (a soft-deleted and a permanently deleted user with their
// memberships and grants, a deleted group with its memberships, a removed membership): nothing else, and its
// sweep expires nothing. A week later a full re-enumeration sweeps as before.
func TestDeltaBetweenFullEnumerations(t *testing.T) {
	e := newDeltaEnv(t)
	sim := e.tn.sim
	e.sync(t)
	users, groups := sim.UserIDs(), sim.GroupIDs()
	added, err := sim.AddUser(entrasim.NewUser{DisplayName: "New Hire", Mail: "new.hire@example.test", UserPrincipalName: "new.hire@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, sim.SetAccountEnabled(users[1], false))
	must(t, sim.AddMember(groups[0], added))
	deleted := map[string]bool{users[2]: true, users[3]: true, groups[2]: true}
	var removed string
	for _, m := range groupMembers(t, sim, groups[1]) {
		if !deleted[m] {
			removed = m
			break
		}
	}
	must(t, sim.RemoveMember(groups[1], removed))
	must(t, sim.DeleteUser(users[2], false))
	must(t, sim.DeleteUser(users[3], true))
	must(t, sim.DeleteGroup(groups[2]))
	before := e.liveKeys(t)

	sim.ResetStats()
	res := e.sync(t)
	st := sim.Stats().ByRoute
	// Members are read only for the role-assignable groups that hold roles (the admins), not for every group.
	if st["/v1.0/users"] != 0 || st["/v1.0/groups"] != 0 || st["/v1.0/groups/{id}/members"] >= len(groups)/2 {
		t.Errorf("the delta run listed users %d, groups %d, members %d times", st["/v1.0/users"], st["/v1.0/groups"], st["/v1.0/groups/{id}/members"])
	}
	if st["/v1.0/users/delta"] == 0 || st["/v1.0/groups/delta"] == 0 {
		t.Errorf("the delta run read no delta: %v", st)
	}
	if n := res.Expired[sspm.EntityAccounts] + res.Expired[sspm.EntityGroups] + res.Expired[sspm.EntityGroupMembers]; n != 0 {
		t.Errorf("the delta run swept %v", res.Expired)
	}
	for id, want := range map[string]string{added: "active", users[1]: "suspended"} {
		q := `SELECT status FROM accounts WHERE connector_id = $1 AND external_id = $2 AND expired_at IS NULL`
		if got := e.live(t, q, id); got != want {
			t.Errorf("account %s: status %q, want %q", id, got, want)
		}
	}
	after := e.liveKeys(t)
	if !after["group_members "+groups[0]+"|"+added] {
		t.Error("the membership added in the delta is not stored")
	}
	// A live row before the run is gone after it exactly when the delta removed it or what it hangs on.
	var expired int
	for k := range before {
		table, key, _ := strings.Cut(k, " ")
		parts := strings.Split(key, "|")
		want := false
		switch table {
		case "accounts", "groups":
			want = deleted[key]
		case "group_members":
			want = deleted[parts[0]] || deleted[parts[1]] || key == groups[1]+"|"+removed
		case "grants":
			want = deleted[parts[0]] || deleted[parts[3]]
		}
		if gone := !after[k]; gone != want {
			t.Errorf("%s: expired %v, want %v", k, gone, want)
		}
		if want {
			expired++
		}
	}
	for _, k := range []string{"accounts " + users[2], "accounts " + users[3], "groups " + groups[2], "group_members " + groups[1] + "|" + removed} {
		if !before[k] {
			t.Errorf("%s was not live before the delta run: the test removes nothing", k)
		}
	}
	if res.Run.Counts["removed"] != int64(expired) {
		t.Errorf("the run counts %d removed rows, want %d", res.Run.Counts["removed"], expired)
	}

	e.clk.Advance(8 * 24 * time.Hour) // the weekly re-enumeration is due
	sim.ResetStats()
	res = e.sync(t)
	if sim.Stats().ByRoute["/v1.0/users"] == 0 {
		t.Fatal("the weekly run did not enumerate users")
	}
	if len(res.Run.Unavailable) != 0 {
		t.Errorf("the full re-enumeration left %v unavailable", res.Run.Unavailable)
	}
	for k := range e.liveKeys(t) {
		if !after[k] && !strings.HasPrefix(k, "credentials ") {
			t.Errorf("%s is live again after the full re-enumeration", k)
		}
	}
}

// TestFailedDeltaRunExpiresNothing: a delta run that fails before its users delta is read writes no removal;
// the next run applies them.
func TestFailedDeltaRunExpiresNothing(t *testing.T) {
	e := newDeltaEnv(t)
	sim := e.tn.sim
	e.sync(t)
	users, groups := sim.UserIDs(), sim.GroupIDs()
	member := groupMembers(t, sim, groups[0])[0]
	must(t, sim.RemoveMember(groups[0], member))
	must(t, sim.DeleteUser(users[4], true))
	before := e.liveKeys(t)
	sim.AddFault(entrasim.Fault{Path: "/v1.0/users/delta", Status: http.StatusInternalServerError})
	e.clk.Advance(time.Hour)
	res, err := e.runner.Run(context.Background(), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: e.conn.ID}, "t", time.Time{})
	if err != nil || res.Outcome != lane.OutcomeFailed {
		t.Fatalf("the run with a failing users delta: %s %v", res.Outcome, err)
	}
	if after := e.liveKeys(t); len(after) != len(before) {
		t.Errorf("the failed run changed the live rows: %d before, %d after", len(before), len(after))
	}
	sim.ClearFaults()
	e.sync(t)
	after := e.liveKeys(t)
	if after["accounts "+users[4]] || after["group_members "+groups[0]+"|"+member] {
		t.Error("the next run did not apply the removals")
	}
}

// TestDeltaLinkGoneFallsBackToFullEnumeration: a deltaLink Graph answers with 410 starts a full enumeration in
// the same run, which says so, and leaves a fresh deltaLink for the next run.
func TestDeltaLinkGoneFallsBackToFullEnumeration(t *testing.T) {
	e := newDeltaEnv(t)
	e.sync(t)
	e.tn.sim.AddFault(entrasim.Fault{Path: "/v1.0/users/delta", Status: http.StatusGone, Times: 1})
	var msgs []string
	opts := testOptions(e.clk)
	e.runner.Sources = func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		src, err := opts.NewSource(ctx, c, e.tn.Secret())
		return &recording{Source: src, msgs: &msgs}, err
	}
	e.tn.sim.ResetStats()
	e.sync(t)
	if !strings.Contains(strings.Join(msgs, "\n"), "the users deltaLink was refused") {
		t.Errorf("the run does not say the deltaLink was refused: %q", msgs)
	}
	if e.tn.sim.Stats().ByRoute["/v1.0/users"] == 0 {
		t.Error("no full enumeration after the 410")
	}
	e.tn.sim.ResetStats()
	e.sync(t)
	if st := e.tn.sim.Stats().ByRoute; st["/v1.0/users"] != 0 || st["/v1.0/users/delta"] == 0 {
		t.Errorf("the run after the fallback did not apply the delta: %v", st)
	}
}

// recording keeps every step's message.
type recording struct {
	*entra.Source
	msgs *[]string
}

func (r *recording) Step(ctx context.Context, l sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	res, err := r.Source.Step(ctx, l, stage, cursor)
	*r.msgs = append(*r.msgs, res.Message)
	return res, err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestGraphAddressChangeStartsOver: a tenant served at a new address (the demo's simulator restarted) refuses the
// previous start's deltaLink, which the connector asks at the new address: the run enumerates again and succeeds.
func TestGraphAddressChangeStartsOver(t *testing.T) {
	e := newDeltaEnv(t)
	e.sync(t)
	restarted := entrasim.New(e.tn.sim.Company(), entrasim.Options{PageCap: 7, Clock: e.clk.Now, Run: 2})
	t.Cleanup(restarted.Close)
	old := e.tn.sim
	e.tn.sim = restarted
	e.conn.Config = e.tn.config(entra.DefaultFullResyncHours)
	if _, err := e.db.UpdateConnector(context.Background(), e.conn); err != nil {
		t.Fatal(err)
	}
	old.ResetStats()
	e.sync(t)
	if n := total(old.Stats()); n != 0 {
		t.Errorf("%d requests went to the old address", n)
	}
	if restarted.Stats().ByRoute["/v1.0/users"] == 0 {
		t.Error("the refused deltaLink did not start a full enumeration")
	}
}

// TestRoleMemberRemovedOnDeltaRun: the roles stage reads every activated role's members on every run, so a user
// removed from a directory role loses the role's grant on the next run, a delta run too; no other grant changes.
func TestRoleMemberRemovedOnDeltaRun(t *testing.T) {
	e := newDeltaEnv(t)
	e.sync(t)
	var roleID, role, member string
	err := e.db.Pool().QueryRow(context.Background(), `SELECT r.external_id, r.name, g.principal_external_id FROM grants g
		JOIN resources r ON r.connector_id = g.connector_id AND r.external_id = g.resource_external_id AND r.kind = 'role'
		WHERE g.connector_id = $1 AND g.principal_kind = 'account' AND g.principal_external_id NOT LIKE 'sp:%'
		  AND g.expired_at IS NULL ORDER BY 1, 3 LIMIT 1`, e.conn.ID).Scan(&roleID, &role, &member)
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.tn.sim.RemoveRoleMember(role, member))
	before := e.liveKeys(t)
	res := e.sync(t)
	if len(res.Run.Unavailable) == 0 {
		t.Fatal("the second run was not a delta run")
	}
	after := e.liveKeys(t)
	gone := "grants " + member + "|" + roleID + "|member|"
	if !before[gone] || after[gone] {
		t.Errorf("%s: live before %v, after %v; want expired on the delta run", gone, before[gone], after[gone])
	}
	for k := range before {
		if !after[k] && k != gone {
			t.Errorf("%s expired too", k)
		}
	}
}

// TestAdminFlagFollowsRoleChangesOnDeltaRun: the users delta does not report a directory role change, yet a user
// that left its only privileged role loses the admin flag on the next delta run, and a user added to a role gains
// it; the last login read before is kept.
func TestAdminFlagFollowsRoleChangesOnDeltaRun(t *testing.T) {
	e := newDeltaEnv(t)
	e.sync(t)
	ctx := context.Background()
	var role, admin string
	// an admin that holds exactly one role directly and no role through a group
	err := e.db.Pool().QueryRow(ctx, `SELECT min(r.name), g.principal_external_id FROM grants g
		JOIN resources r ON r.connector_id = g.connector_id AND r.external_id = g.resource_external_id AND r.kind = 'role'
		WHERE g.connector_id = $1 AND g.principal_kind = 'account' AND g.principal_external_id NOT LIKE 'sp:%' AND g.expired_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM group_members gm JOIN grants gg ON gg.connector_id = gm.connector_id
		      AND gg.principal_external_id = gm.group_external_id AND gg.principal_kind = 'group' AND gg.resource_external_id LIKE 'role:%'
		    WHERE gm.connector_id = g.connector_id AND gm.member_external_id = g.principal_external_id AND gm.expired_at IS NULL AND gg.expired_at IS NULL)
		GROUP BY g.principal_external_id HAVING count(*) = 1 ORDER BY 2 LIMIT 1`, e.conn.ID).Scan(&role, &admin)
	if err != nil {
		t.Fatal(err)
	}
	plain := e.live(t, `SELECT external_id FROM accounts WHERE connector_id = $1 AND kind = 'user' AND NOT is_admin
		AND expired_at IS NULL ORDER BY external_id LIMIT 1`)
	if plain == "" {
		t.Fatal("no account without the admin flag")
	}
	const flag = `SELECT is_admin::text || '|' || coalesce(last_login_at::text, '') FROM accounts
		WHERE connector_id = $1 AND external_id = $2 AND expired_at IS NULL`
	adminWas, plainWas := e.live(t, flag, admin), e.live(t, flag, plain)
	if !strings.HasPrefix(adminWas, "true|") || !strings.HasPrefix(plainWas, "false|") {
		t.Fatalf("before: %s %s, %s %s", admin, adminWas, plain, plainWas)
	}
	must(t, e.tn.sim.RemoveRoleMember(role, admin))
	must(t, e.tn.sim.AddRoleMember(role, plain))
	if res := e.sync(t); len(res.Run.Unavailable) == 0 {
		t.Fatal("the second run was not a delta run")
	}
	want := map[string]string{admin: "false|" + strings.TrimPrefix(adminWas, "true|"), plain: "true|" + strings.TrimPrefix(plainWas, "false|")}
	for id, w := range want {
		if got := e.live(t, flag, id); got != w {
			t.Errorf("%s after the delta run: is_admin|last_login %s, want %s", id, got, w)
		}
	}
	// and back: the flags follow on the next delta run too
	must(t, e.tn.sim.AddRoleMember(role, admin))
	must(t, e.tn.sim.RemoveRoleMember(role, plain))
	e.sync(t)
	if got := e.live(t, flag, admin); got != adminWas {
		t.Errorf("%s back in the role: %s, want %s", admin, got, adminWas)
	}
	if got := e.live(t, flag, plain); got != plainWas {
		t.Errorf("%s out of the role: %s, want %s", plain, got, plainWas)
	}
}
