package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/identity"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func accountsPage(run, from, n int) *sspm.Page {
	p := &sspm.Page{Accounts: make([]sspm.Account, n)}
	raw := json.RawMessage(`{"status":"ACTIVE","profile":{"department":"Engineering","title":"Engineer"}}`)
	for i := range n {
		id := from + i
		p.Accounts[i] = sspm.Account{
			ExternalID: fmt.Sprintf("00u%010d", id), Kind: sspm.AccountUser, Email: fmt.Sprintf("User%d@Example.com", id),
			Username: fmt.Sprintf("user%d", id), DisplayName: fmt.Sprintf("User %d (run %d)", id, run), Status: "ACTIVE",
			Active: true, LastLoginAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Raw: raw,
		}
	}
	return p
}

// BenchmarkUpsertAccounts measures batched account upserts with run markers, 5,000 rows a page, each page in
// its own transaction with its checkpoint, as a sync writes them: "insert" writes accounts the store has not seen
// (a first sync), "resync" rewrites 50,000 known accounts (every later sync).
func BenchmarkUpsertAccounts(b *testing.B) {
	const pageRows = 5000
	for _, mode := range []string{"insert", "resync"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			db := postgrestest.New(b)
			newConnector(b, db, "bench")
			_, lease, _, err := db.StartRun(ctx, "bench", sspm.LaneFull, sspm.TriggerManual, "bench", time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			const known = 50_000
			if mode == "resync" {
				for from := 0; from < known; from += pageRows {
					if _, err := db.WritePage(ctx, "bench", lease, accountsPage(0, from, pageRows), sspm.RunState{}); err != nil {
						b.Fatal(err)
					}
				}
			}
			pages := make([]*sspm.Page, 10)
			for i := range pages {
				pages[i] = accountsPage(1, i*pageRows, pageRows)
			}
			b.ResetTimer()
			rows := 0
			for i := 0; i < b.N; i++ {
				page := pages[i%len(pages)]
				if mode == "insert" {
					b.StopTimer()
					page = accountsPage(1, known+i*pageRows, pageRows)
					b.StartTimer()
				}
				if _, err := db.WritePage(ctx, "bench", lease, page, sspm.RunState{}); err != nil {
					b.Fatal(err)
				}
				rows += pageRows
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkExpire100k measures the end-of-run sweep that expires 100,000 rows the run did not see.
func BenchmarkExpire100k(b *testing.B) {
	ctx := context.Background()
	db := postgrestest.New(b)
	newConnector(b, db, "bench")
	const total = 100_000
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		seed(b, db, total)
		_, lease, _, err := db.StartRun(ctx, "bench", sspm.LaneFull, sspm.TriggerManual, "sweeper", time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		expired, err := db.FinishRun(ctx, "bench", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, Sweep: sspm.Entities, NextDueAt: time.Now()})
		elapsed += time.Since(t0)
		if err != nil || expired[sspm.EntityAccounts] != total {
			b.Fatalf("expired %v, %v", expired, err)
		}
	}
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/sweep")
}

// seed writes total live accounts in a successful run that started before now.
func seed(b *testing.B, db *postgres.DB, total int) {
	ctx := context.Background()
	_, lease, _, err := db.StartRun(ctx, "bench", sspm.LaneFull, sspm.TriggerManual, "seeder", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for from := 0; from < total; from += 10_000 {
		if _, err := db.WritePage(ctx, "bench", lease, accountsPage(0, from, 10_000), sspm.RunState{}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.FinishRun(ctx, "bench", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, NextDueAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // the sweep keeps rows seen after its run started
}

// BenchmarkQueue measures jobs through the local queue: send in batches of 100, receive 10 at a time (SQS's
// batch size), acknowledge each batch.
func BenchmarkQueue(b *testing.B) {
	ctx := context.Background()
	db := postgrestest.New(b)
	q := db.Queue("bench", 3)
	body := []byte(`{"connector_id":"okta-1","kind":"okta","body":"eyJldmVudHMiOltdfQ=="}`)
	batch := make([][]byte, 100)
	for i := range batch {
		batch[i] = body
	}
	b.ResetTimer()
	start := time.Now()
	jobs := 0
	for i := 0; i < b.N; i++ {
		if err := q.Send(ctx, batch...); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < len(batch); {
			msgs, err := q.Receive(ctx, 10, time.Minute)
			if err != nil || len(msgs) == 0 {
				b.Fatalf("receive: %d %v", len(msgs), err)
			}
			receipts := make([]string, len(msgs))
			for j, m := range msgs {
				receipts[j] = m.Receipt
			}
			if err := q.Ack(ctx, receipts...); err != nil {
				b.Fatal(err)
			}
			got += len(msgs)
		}
		jobs += len(batch)
	}
	b.ReportMetric(float64(jobs)/time.Since(start).Seconds(), "jobs/s")
}

// BenchmarkLinkAccounts measures linking 100,000 accounts after a full sync (goal: under 10 s): "first" links an
// identity provider's accounts into an empty graph (an identity is created for each), "second-source" links an
// app's 100,000 accounts whose emails differ only in case to those identities, and "steady" is every later
// linking run (nothing new to link; every identity recomputed).
func BenchmarkLinkAccounts(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	staleBefore := time.Now().Add(-identity.StaleAfter)
	write := func(b *testing.B, db *postgres.DB, id string, kind sspm.Kind, authoritative bool, email func(i int) string) {
		if _, err := db.CreateConnector(ctx, sspm.Connector{ID: id, Kind: kind, Name: id, Enabled: true, Authoritative: authoritative}, nil, ""); err != nil {
			b.Fatal(err)
		}
		_, lease, _, err := db.StartRun(ctx, id, sspm.LaneFull, sspm.TriggerManual, "bench", time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		for from := 0; from < n; from += 5000 {
			p := accountsPage(0, from, 5000)
			for i := range p.Accounts {
				p.Accounts[i].Email = email(from + i)
				p.Accounts[i].IsAdmin = (from+i)%100 == 0
			}
			if _, err := db.WritePage(ctx, id, lease, p, sspm.RunState{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	idpEmail := func(i int) string { return fmt.Sprintf("user%d@example.com", i) }
	appEmail := func(i int) string { return fmt.Sprintf("User%d@EXAMPLE.com", i) }
	for _, mode := range []string{"first", "second-source", "steady"} {
		b.Run(mode, func(b *testing.B) {
			linked := 0
			for b.Loop() {
				b.StopTimer()
				db := postgrestest.New(b)
				write(b, db, "idp", sspm.KindOkta, true, idpEmail)
				target, authoritative := "idp", true
				if mode != "first" {
					if _, err := db.LinkAccounts(ctx, "idp", true, staleBefore); err != nil {
						b.Fatal(err)
					}
					write(b, db, "app", sspm.KindGitHub, false, appEmail)
					target, authoritative = "app", false
				}
				if mode == "steady" {
					if _, err := db.LinkAccounts(ctx, "app", false, staleBefore); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				r, err := db.LinkAccounts(ctx, target, authoritative, staleBefore)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				want := int64(n)
				if mode == "steady" {
					want = 0
				}
				if r.Linked != want {
					b.Fatalf("%s: linked %d, want %d", mode, r.Linked, want)
				}
				linked += n
				b.StartTimer()
			}
			b.ReportMetric(float64(linked)/b.Elapsed().Seconds(), "accounts/s")
		})
	}
}
