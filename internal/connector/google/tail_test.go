package google_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
)

// TestTailNoGapNoDuplicate: 10,000 sign-ins recorded in rounds, each visible only after a 10 minute reporting
// lag, are all read by the tail (no gap); re-reads of the overlap carry the same provider event ids, so the
// store keeps each once (no duplicate). BenchmarkTail100k reads 100,000.
func TestTailNoGapNoDuplicate(t *testing.T) { tailRounds(t, 10, 1000) }

// BenchmarkTail100k is the figure: a tail of 100,000 activities with no duplicate and no gap.
//
//	go test -run '^$' -bench BenchmarkTail100k -benchtime 1x ./internal/connector/google/
func BenchmarkTail100k(b *testing.B) {
	for range b.N {
		tailRounds(b, 10, 10000)
	}
}

func tailRounds(t testing.TB, rounds, perRound int) {
	e := newEnv(t, googlesim.Options{Lag: map[string]time.Duration{"login": 10 * time.Minute}}, "", nil, nil)
	ctx := context.Background()
	users := e.sim.Users()
	seen := map[string]int{}
	cursor, reads := "", 0
	var start time.Time
	fresh := map[string]bool{}
	read := func() {
		for {
			p, err := e.src.ReadStream(ctx, "login", cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range p.Events {
				seen[ev.ProviderEventID]++
				reads++
				if !ev.OccurredAt.Before(start) {
					fresh[ev.ProviderEventID] = true
				}
			}
			cursor = p.Cursor
			if !p.More {
				return
			}
		}
	}
	read()
	start = e.clk.Now()
	clear(fresh)
	for r := range rounds {
		for i := range perRound {
			if err := e.sim.RecordLogin(users[(r*perRound+i)%len(users)].ID); err != nil {
				t.Fatal(err)
			}
		}
		read() // the round is not visible yet: the lag
		e.clk.Advance(time.Hour)
		read()
	}
	if got := len(fresh); got != rounds*perRound {
		t.Fatalf("read %d distinct new activities, recorded %d: a gap", got, rounds*perRound)
	}
	t.Logf("%d activities recorded, all read; %d reads in all (%d overlap re-reads, stored once by id); %d requests",
		rounds*perRound, reads, reads-len(seen), e.sim.Stats().ByRoute[googlesim.RouteActivities])
}
