package google_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// appEnv is a simulated domain behind the application: a store, the Google kind, one connector.
type appEnv struct {
	*env
	db   *postgres.DB
	app  *app.App
	conn sspm.Connector
}

func newAppEnv(t *testing.T) *appEnv {
	t.Helper()
	db := postgrestest.New(t)
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	key, _ := secrets.GenerateLocalKey()
	keys, err := secrets.NewLocalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	opts := google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: e.clk.Now, Sleep: e.clk.Sleep}
	a, err := app.New(app.Deps{DB: db, Keys: keys, Registry: connector.NewRegistry(google.NewKind(opts)),
		Logger: slog.New(slog.DiscardHandler), Invoker: noInvoker{}, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"admin_email": e.sim.AdminEmail(), "token_url": e.sim.TokenURL(), "api_url": e.sim.URL() + "/"})
	conn, err := a.CreateConnector(context.Background(), sspm.Connector{ID: "gw", Kind: sspm.KindGoogle, Name: "Workspace", Enabled: true,
		Config: raw}, e.sim.KeyJSON())
	if err != nil {
		t.Fatal(err)
	}
	return &appEnv{env: e, db: db, app: a, conn: conn}
}

// sync runs the full lane once.
func (a *appEnv) sync(t *testing.T) lane.Result {
	t.Helper()
	res, err := a.app.Runner.Run(context.Background(), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: a.conn.ID, Trigger: sspm.TriggerManual}, "test", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// account returns a user's stored account row: its status, whether it is active, whether it is live (not expired).
func (a *appEnv) account(t *testing.T, id string) (status string, active, live bool) {
	t.Helper()
	err := a.db.Pool().QueryRow(context.Background(), `SELECT status, active, expired_at IS NULL FROM accounts
		WHERE connector_id = $1 AND external_id = $2`, a.conn.ID, id).Scan(&status, &active, &live)
	if err == pgx.ErrNoRows {
		return "", false, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return status, active, live
}

func (a *appEnv) memberships(t *testing.T, id string) int {
	t.Helper()
	var n int
	if err := a.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM group_members WHERE connector_id = $1
		AND member_external_id = $2 AND expired_at IS NULL`, a.conn.ID, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeletedUsersAreDeprovisioned: a user deleted in Workspace stays an account of status deprovisioned
// (inactive, read from the showDeleted listing) while its memberships expire; when the deleted listing is
// refused the deprovisioned accounts are kept and a user deleted since expires as before; a run failing in the
// deleted listing expires nothing; once Google purges the user (20 days) the next run expires its account.
func TestDeletedUsersAreDeprovisioned(t *testing.T) {
	a := newAppEnv(t)
	var gone, later googlesim.User
	for _, u := range a.sim.Users() {
		switch {
		case u.IsAdmin:
		case gone.ID == "" && len(a.sim.TokensOf(u.ID)) > 0:
			gone = u
		case later.ID == "":
			later = u
		}
	}
	if res := a.sync(t); res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("first run: %+v", res)
	}
	if status, active, live := a.account(t, gone.ID); status != "active" || !active || !live || a.memberships(t, gone.ID) == 0 {
		t.Fatalf("before the deletion: %q active %t live %t, %d memberships", status, active, live, a.memberships(t, gone.ID))
	}

	a.clk.Advance(time.Hour)
	if err := a.sim.DeleteUser(gone.ID); err != nil {
		t.Fatal(err)
	}
	if res := a.sync(t); res.Outcome != lane.OutcomeSucceeded || res.Expired[sspm.EntityAccounts] != 0 {
		t.Fatalf("after the deletion: %+v", res)
	}
	if status, active, live := a.account(t, gone.ID); status != "deprovisioned" || active || !live || a.memberships(t, gone.ID) != 0 {
		t.Fatalf("deleted: %q active %t live %t, %d memberships", status, active, live, a.memberships(t, gone.ID))
	}

	// The deleted listing refused: the run succeeds, the deprovisioned account stays; a user deleted since
	// expires at the sweep (no listing says it was deleted).
	a.clk.Advance(time.Hour)
	if err := a.sim.DeleteUser(later.ID); err != nil {
		t.Fatal(err)
	}
	a.sim.AddFault(googlesim.Fault{Path: googlesim.RouteUsers, Query: "showDeleted=true", Status: http.StatusForbidden, Reason: "forbidden"})
	res := a.sync(t)
	if res.Outcome != lane.OutcomeSucceeded || !slices.Contains(res.Run.Unavailable, "accounts[status=deprovisioned]") {
		t.Fatalf("deleted listing refused: %+v", res)
	}
	if status, _, live := a.account(t, gone.ID); status != "deprovisioned" || !live {
		t.Fatalf("deleted listing refused: the deprovisioned account is %q live %t", status, live)
	}
	if _, _, live := a.account(t, later.ID); live || res.Expired[sspm.EntityAccounts] != 1 {
		t.Fatalf("deleted listing refused: the user deleted since is live %t, %d accounts expired", live, res.Expired[sspm.EntityAccounts])
	}
	a.sim.ClearFaults()

	// Purged 20 days after the deletion; a run failing in the deleted listing expires nothing first.
	a.clk.Advance(20 * 24 * time.Hour)
	a.sim.AddFault(googlesim.Fault{Path: googlesim.RouteUsers, Query: "showDeleted=true", Status: http.StatusServiceUnavailable})
	if res := a.sync(t); res.Outcome != lane.OutcomeFailed || len(res.Expired) != 0 {
		t.Fatalf("deleted listing failing: %+v", res)
	}
	if status, _, live := a.account(t, gone.ID); status != "deprovisioned" || !live {
		t.Fatalf("after a failed run: %q live %t", status, live)
	}
	a.sim.ClearFaults()
	res = a.sync(t)
	if res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("after the purge: %+v", res)
	}
	if _, _, live := a.account(t, gone.ID); live {
		t.Fatal("the purged user's account is still live")
	}
}

// TestDeletedUsersListing: the users stage reads the live users, then the deleted ones (showDeleted=true), one page
// a step; a deleted user's account is deprovisioned, inactive, not admin, with its deletionTime; a 403 on the
// deleted listing leaves only the deprovisioned accounts unavailable.
func TestDeletedUsersListing(t *testing.T) {
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	ctx := context.Background()
	var admin googlesim.User
	for _, u := range e.sim.Users() {
		if u.IsDelegatedAdmin && !u.IsAdmin {
			admin = u
		}
	}
	if err := e.sim.DeleteUser(admin.ID); err != nil {
		t.Fatal(err)
	}
	live, err := e.src.Step(ctx, sspm.LaneFull, google.StageUsers, "")
	if err != nil || live.Next == "" || slices.ContainsFunc(live.Page.Accounts, func(a sspm.Account) bool { return a.ExternalID == admin.ID }) {
		t.Fatalf("live listing: next %q, err %v", live.Next, err)
	}
	deleted, err := e.src.Step(ctx, sspm.LaneFull, google.StageUsers, live.Next)
	if err != nil || deleted.Next != "" || len(deleted.Page.Accounts) != 1 {
		t.Fatalf("deleted listing: %+v %v", deleted, err)
	}
	acc := deleted.Page.Accounts[0]
	if acc.ExternalID != admin.ID || acc.Status != "deprovisioned" || acc.Active || acc.IsAdmin || !strings.Contains(string(acc.Raw), `"deletionTime":"`) {
		t.Fatalf("deleted account %+v raw %s", acc, acc.Raw)
	}
	e.sim.AddFault(googlesim.Fault{Path: googlesim.RouteUsers, Query: "showDeleted=true", Status: http.StatusForbidden, Reason: "forbidden"})
	refused, err := e.src.Step(ctx, sspm.LaneFull, google.StageUsers, live.Next)
	if err != nil || refused.Next != "" || len(refused.Unavailable) != 1 || refused.Unavailable[0] != "accounts[status=deprovisioned]" ||
		!strings.Contains(refused.Message, "deprovisioned") {
		t.Fatalf("deleted listing refused: %+v %v", refused, err)
	}
}
