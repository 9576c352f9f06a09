package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

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
