package google_test

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// BenchmarkFullSyncQuotaFloor is the figure: a full sync of 50,000 users and 10,000 groups against a
// domain that enforces Google's default quota (2,400 queries a minute), on the suite's fake clock. It reports
// the sync's time on that clock against the floor the quota sets (requests / 2,400 a minute), the quota answers
// the domain gave (retries must never exceed it: 0), and the process's peak RSS (connector and simulator in one
// process; the simulator's share is most of it) and the connector's peak heap between steps.
//
//	go test -run '^$' -bench BenchmarkFullSyncQuotaFloor -benchtime 1x ./internal/connector/google/
func BenchmarkFullSyncQuotaFloor(b *testing.B) {
	cfg := providersim.Large()
	cfg.Groups = 10000
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		clk := clocktest.New(sourcetest.Start)
		sim := googlesim.New(company, googlesim.Options{Clock: clk.Now, QueriesPerMinute: 2400})
		raw, _ := json.Marshal(map[string]any{"admin_email": sim.AdminEmail(), "token_url": sim.TokenURL(), "api_url": sim.URL() + "/"})
		o := google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}
		src, err := o.NewSource(context.Background(), sspm.Connector{ID: "bench", Kind: sspm.KindGoogle, Config: raw}, sim.KeyJSON())
		if err != nil {
			b.Fatal(err)
		}
		start, wall := clk.Now(), time.Now()
		rows, peakHeap := 0, uint64(0)
		for _, stage := range src.Stages(sspm.LaneFull) {
			cursor := ""
			for {
				res, err := src.Step(context.Background(), sspm.LaneFull, stage, cursor)
				if err != nil {
					b.Fatal(err)
				}
				rows += res.Page.Len()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peakHeap = max(peakHeap, ms.HeapInuse)
				if res.Next == "" {
					break
				}
				cursor = res.Next
			}
		}
		st := sim.Stats()
		took := clk.Now().Sub(start)
		floor := time.Duration(float64(st.Total) / 2400 * float64(time.Minute))
		b.ReportMetric(took.Seconds(), "sync-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(took.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(float64(st.Total), "requests")
		b.ReportMetric(float64(st.Throttled), "quota-answers")
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
		b.Logf("%d requests, %d rows: %s on the quota's clock, floor %s (%.3f×), %d quota answers, %s wall",
			st.Total, rows, took.Round(time.Second), floor.Round(time.Second), took.Seconds()/floor.Seconds(), st.Throttled, time.Since(wall).Round(time.Second))
		sim.Close()
	}
}

// peakRSSMB reads the process's peak resident set (VmHWM) in MiB; 0 where /proc is missing.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
