package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestFirstAdminOnlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	u, err := db.CreateFirstAdmin(ctx, " Root@Example.com ", "hash-1", "cli")
	if err != nil || u.Email != "root@example.com" || u.Role != "admin" {
		t.Fatalf("first admin = %+v, %v", u, err)
	}
	if _, err := db.CreateFirstAdmin(ctx, "other@example.com", "hash-2", "cli"); sspm.ErrorCode(err) != sspm.CodeConflict {
		t.Fatalf("second first admin: %v, want conflict", err)
	}
	if _, err := db.CreateUser(ctx, "ROOT@example.com", "hash-3", "viewer", "cli"); sspm.ErrorCode(err) != sspm.CodeConflict {
		t.Fatalf("same email in another case: %v, want conflict", err)
	}
	if _, err := db.CreateUser(ctx, "v@example.com", "hash-3", "owner", "cli"); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Fatalf("unknown role: %v, want invalid", err)
	}
	got, err := db.UserByEmail(ctx, "ROOT@EXAMPLE.COM")
	if err != nil || got.ID != u.ID || got.PasswordHash != "hash-1" {
		t.Fatalf("by email = %+v, %v", got, err)
	}
	if _, err := db.UserByEmail(ctx, "nobody@example.com"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("missing user: %v", err)
	}
	log, err := db.AuditLog(ctx, postgres.AuditFilter{Action: "user"}, postgres.ListOptions{Limit: 10})
	if err != nil || log.Total != 1 || log.Items[0].Actor != "cli" {
		t.Fatalf("audit = %+v, %v", log, err)
	}
}

func TestListOptionsAndSearchPatterns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "c1")
	syncAccounts(t, db, "c1",
		sspm.Account{ExternalID: "a", Kind: sspm.AccountUser, Email: "under_score@example.com", DisplayName: "Under Score", Active: true},
		sspm.Account{ExternalID: "b", Kind: sspm.AccountUser, Email: "underXscore@example.com", DisplayName: "Under X", Active: true},
		sspm.Account{ExternalID: "c", Kind: sspm.AccountUser, Email: "pct@example.com", DisplayName: "100% sure", Active: true},
	)
	tests := []struct {
		name      string
		give      postgres.ListOptions
		filter    postgres.AccountFilter
		wantIDs   string
		wantTotal int64
		wantErr   sspm.Code
	}{
		{name: "page", give: postgres.ListOptions{Limit: 2, Sort: "external_id"}, wantIDs: "ab", wantTotal: 3},
		{name: "descending", give: postgres.ListOptions{Limit: 2, Sort: "-external_id"}, wantIDs: "cb", wantTotal: 3},
		{name: "past the end counts", give: postgres.ListOptions{Limit: 2, Offset: 9}, wantIDs: "", wantTotal: 3},
		{name: "underscore is literal", give: postgres.ListOptions{Limit: 9}, filter: postgres.AccountFilter{Search: "under_"}, wantIDs: "a", wantTotal: 1},
		{name: "percent is literal", give: postgres.ListOptions{Limit: 9}, filter: postgres.AccountFilter{Search: "100%"}, wantIDs: "c", wantTotal: 1},
		{name: "unknown sort", give: postgres.ListOptions{Limit: 9, Sort: "password_hash"}, wantErr: sspm.CodeInvalid},
		{name: "no limit", give: postgres.ListOptions{}, wantErr: sspm.CodeInvalid},
		{name: "limit too big", give: postgres.ListOptions{Limit: postgres.MaxListLimit + 1}, wantErr: sspm.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := db.Accounts(ctx, "c1", tt.filter, tt.give)
			if tt.wantErr != "" {
				if sspm.ErrorCode(err) != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ids := ""
			for _, a := range l.Items {
				ids += a.ExternalID
			}
			if ids != tt.wantIDs || l.Total != tt.wantTotal {
				t.Fatalf("got %q (%d), want %q (%d)", ids, l.Total, tt.wantIDs, tt.wantTotal)
			}
		})
	}
}

func TestConnectorMutationsWriteAuditInTheSameTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnectorAudited(ctx, postgres.NewConnector{Connector: sspm.Connector{ID: "c1", Kind: sspm.KindOkta, Name: "C1", Enabled: true},
		Secret: []byte("sealed-bytes")}, "alice"); err != nil {
		t.Fatal(err)
	}
	// A change the callback refuses writes neither the change nor an audit row.
	_, err := db.UpdateConnectorAudited(ctx, "c1", "alice", func(c sspm.Connector) (sspm.Connector, error) {
		c.Name = "changed"
		return c, sspm.Errorf(sspm.CodeInvalid, "no")
	})
	if sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Fatalf("refused update: %v", err)
	}
	if _, err := db.SetConnectorSecretAudited(ctx, "c1", []byte("sealed-2"), "k", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteConnectorAudited(ctx, "c1", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteConnectorAudited(ctx, "c1", "bob"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("second delete: %v", err)
	}
	log, err := db.AuditLog(ctx, postgres.AuditFilter{TargetType: "connector"}, postgres.ListOptions{Limit: 10, Sort: "at"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log.Items {
		got = append(got, e.Actor+":"+e.Action)
		for _, j := range [][]byte{e.Before, e.After} {
			if strings.Contains(string(j), "sealed") || strings.Contains(string(j), "secret_key_id") {
				t.Fatalf("audit %s holds secret material: %s", e.Action, j)
			}
		}
	}
	if want := "[alice:connector.create bob:connector.secret.set bob:connector.delete]"; fmt.Sprint(got) != want {
		t.Fatalf("audit = %v, want %s", got, want)
	}
}
