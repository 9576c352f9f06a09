// Package simproc runs a provider simulator in a child process for the connectors' benchmarks, so that the
// benchmark process holds only what a deployment holds (the connector, the lane runner and the database client),
// and measures what they report: wall time, the peak Go heap and the peak resident set size of both processes.
//
// The child is the test binary re-executed with an environment variable set; the package's TestMain sees it and
// calls Serve instead of running tests.
package simproc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StatsPath is where Mux serves the simulator's request counters.
const StatsPath = "/__bench/stats"

// Mux serves sim at / and, at StatsPath, what stats returns as JSON; with ?reset=1 it calls reset first.
func Mux(sim http.Handler, stats func() any, reset func()) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc(StatsPath, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("reset") == "1" {
			reset()
		}
		_ = json.NewEncoder(w).Encode(stats())
	})
	mux.Handle("/", sim)
	return mux
}

// Serve is the child's side: it serves h on a loopback port, prints its URL and serves until its stdin closes
// (the parent exited).
func Serve(h http.Handler) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtime.GC()
	fmt.Printf("http://%s\n", ln.Addr())
	go func() { _ = http.Serve(ln, h) }()
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// Child is a simulator running in a child process.
type Child struct {
	URL string
	cmd *exec.Cmd
}

// Start re-executes the test binary with env=1 in its environment, as the simulator, and waits for its URL.
// The child ends when the benchmark does.
func Start(tb testing.TB, env string) *Child {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatalf("simulator child: %v", err)
	}
	return &Child{URL: strings.TrimSpace(line), cmd: cmd}
}

// GetJSON gets path from the child and decodes its JSON answer into out.
func (c *Child) GetJSON(tb testing.TB, path string, out any) {
	tb.Helper()
	resp, err := http.Get(c.URL + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		tb.Fatal(err)
	}
}

// Stats decodes the simulator's request counters into out.
func (c *Child) Stats(tb testing.TB, out any) { c.GetJSON(tb, StatsPath, out) }

// ResetStats zeroes the simulator's request counters.
func (c *Child) ResetStats(tb testing.TB) { c.GetJSON(tb, StatsPath+"?reset=1", new(json.RawMessage)) }

// Baseline collects garbage and returns the Go heap in use and this process's peak RSS, before a run.
func Baseline() (heap uint64, rss int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, PeakRSS(os.Getpid())
}

// Measurement is what Measure saw of a run.
type Measurement struct {
	Wall   time.Duration
	Heap   uint64 // the peak Go heap in use during the run, sampled every 50 ms
	RSS    int64  // this process's peak RSS after the run
	SimRSS int64  // the child's peak RSS after the run
}

// Measure runs fn, timing it and sampling the Go heap meanwhile, then reads both processes' peak RSS.
func (c *Child) Measure(fn func()) Measurement {
	peakHeap := samplePeakHeap()
	start := time.Now()
	fn()
	m := Measurement{Wall: time.Since(start), Heap: peakHeap()}
	m.RSS, m.SimRSS = PeakRSS(os.Getpid()), PeakRSS(c.cmd.Process.Pid)
	return m
}

// Report reports the run's s/sync and, for rows written, rows/s, and the peak-RSS-MB, peak-heap-MB and
// sim-RSS-MB.
func (m Measurement) Report(b *testing.B, rows int64) {
	b.ReportMetric(m.Wall.Seconds(), "s/sync")
	b.ReportMetric(float64(rows)/m.Wall.Seconds(), "rows/s")
	b.ReportMetric(float64(m.RSS)/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(m.Heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(m.SimRSS)/(1<<20), "sim-RSS-MB")
}

// Rows sums a run's row counts.
func Rows(counts map[string]int64) int64 {
	var rows int64
	for _, n := range counts {
		rows += n
	}
	return rows
}

// PeakProfileEnv names a file: when set, samplePeakHeap writes a heap profile there each time the heap in use
// passes its peak by 2 MiB, so the last one shows what the sync held near its peak
// (`go tool pprof -sample_index=inuse_space -top file`).
const PeakProfileEnv = "OPEN_SSPM_BENCH_PEAK_PROFILE"

// samplePeakHeap samples the Go heap in use until the returned function is called, and returns the peak.
func samplePeakHeap() func() uint64 {
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if path := os.Getenv(PeakProfileEnv); path != "" && ms.HeapInuse > peak+(2<<20) {
				if f, err := os.Create(path); err == nil {
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-result }
}

// PeakRSS is a process's peak resident set size in bytes (VmHWM, on Linux), 0 elsewhere.
func PeakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
