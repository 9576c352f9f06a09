package google_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type noInvoker struct{}

func (noInvoker) Invoke(context.Context, sspm.Invocation) error { return nil }

// TestTailedRevokeExpiresTheGrantAtOnce: a token revoke the tail lane reads (the app's Tailer, whose AfterStore
// refreshes what new events touched) expires the user's grant to the client and its credential right after the
// step that stored the event, not at the next complete token pass.
func TestTailedRevokeExpiresTheGrantAtOnce(t *testing.T) {
	ctx := context.Background()
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
	conn, err := a.CreateConnector(ctx, sspm.Connector{ID: "gw", Kind: sspm.KindGoogle, Name: "Workspace", Enabled: true, Config: raw}, e.sim.KeyJSON())
	if err != nil {
		t.Fatal(err)
	}
	user := e.sim.Users()[3]
	client, err := e.sim.Authorize(user.ID, "Soon Revoked", []string{"https://www.googleapis.com/auth/drive"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := a.Runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: conn.ID, Trigger: sspm.TriggerManual}, "test", time.Time{}); err != nil {
		t.Fatalf("full run: %+v %v", res, err)
	}
	live := func() (grants, creds int) {
		t.Helper()
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM grants WHERE connector_id = $1 AND principal_external_id = $2
			AND resource_external_id = $3 AND permission = $4 AND expired_at IS NULL`, conn.ID, user.ID, "oauth_client:"+client, google.PermOAuthGrant).Scan(&grants); err != nil {
			t.Fatal(err)
		}
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM credentials WHERE connector_id = $1 AND external_id = $2 AND expired_at IS NULL`,
			conn.ID, user.ID+"/"+client).Scan(&creds); err != nil {
			t.Fatal(err)
		}
		return grants, creds
	}
	if g, c := live(); g != 1 || c != 1 {
		t.Fatalf("after the full run: %d grants, %d credentials of the client", g, c)
	}
	tail := func() {
		t.Helper()
		for i := 0; ; i++ {
			res, err := a.Tailer.Step(ctx, conn.ID, "token")
			if err != nil {
				t.Fatal(err)
			}
			if !res.More || i > 50 {
				return
			}
		}
	}
	tail() // caught up: the token stream's history is stored
	e.clk.Advance(time.Minute)
	if err := e.sim.RevokeToken(user.ID, client); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	tail()
	if g, c := live(); g != 0 || c != 0 {
		t.Fatalf("after the tail stored the revoke: %d grants, %d credentials of the client still live", g, c)
	}
}
