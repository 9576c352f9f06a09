package lane_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The evaluator's sweep deletes access changes older than the retention, and only those.
func TestSweepPrunesAccessHistoryPastItsRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-r", Kind: sspm.KindOkta, Name: "r", Enabled: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	fullSync(t, db, "okta-r", sspm.Page{Accounts: []sspm.Account{{ExternalID: "u1", Kind: sspm.AccountUser, Status: "ACTIVE", Active: true}}})
	fullSync(t, db, "okta-r", sspm.Page{Accounts: []sspm.Account{{ExternalID: "u2", Kind: sspm.AccountUser, Status: "ACTIVE", Active: true}}})
	count := func() int {
		cs, err := db.AccessChanges(ctx, sspm.ChangeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	if n := count(); n != 2 { // u2 added, u1 removed
		t.Fatalf("changes = %d, want 2", n)
	}
	tests := []struct {
		name      string
		retention time.Duration
		now       time.Time
		want      int
	}{
		{"within the default retention", 0, time.Now().Add(399 * 24 * time.Hour), 2},
		{"within a configured retention", 10 * 24 * time.Hour, time.Now().Add(9 * 24 * time.Hour), 2},
		{"past a configured retention", 10 * 24 * time.Hour, time.Now().Add(11 * 24 * time.Hour), 0},
	}
	for _, tt := range tests {
		now := tt.now
		ev := newEvaluator(t, db, &now)
		ev.HistoryRetention = tt.retention
		if _, err := ev.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != tt.want {
			t.Fatalf("%s: changes = %d, want %d", tt.name, n, tt.want)
		}
	}
}
