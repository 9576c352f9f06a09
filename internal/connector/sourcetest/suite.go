package sourcetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// Run runs the suite for the kind h describes.
func Run(t *testing.T, h Harness) {
	if h.Kind == nil || h.NewTenant == nil || len(h.Endpoints) == 0 {
		t.Fatal("sourcetest: the harness needs Kind, NewTenant and Endpoints")
	}
	t.Run("resume after a crash at every page", func(t *testing.T) { resumeEveryPage(t, h) })
	t.Run("a failure mid-stage expires nothing", func(t *testing.T) { failureMidStage(t, h) })
	t.Run("403 keeps the rows of what it hides", func(t *testing.T) { forbidden(t, h) })
	t.Run("rate limits are waited out or pause the run", func(t *testing.T) { rateLimits(t, h) })
	t.Run("every paging style is followed to the end", func(t *testing.T) { paging(t, h) })
	t.Run("two tenants side by side never mix", func(t *testing.T) { tenantsApart(t, h) })
	if h.Push != nil {
		t.Run("push deliveries", func(t *testing.T) { push(t, h) })
	}
	if h.Tail != nil {
		t.Run("tail overlap and cursor", func(t *testing.T) { tail(t, h) })
	}
	if h.Discovery != nil {
		t.Run("discovery", func(t *testing.T) { runDiscovery(t, h) })
	}
}

// crashing panics at its second step, as a process that dies right after the runner committed a page.
type crashing struct {
	sspm.Source
	steps int
}

func (c *crashing) Step(ctx context.Context, l sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	c.steps++
	if c.steps == 2 {
		panic("crash")
	}
	return c.Source.Step(ctx, l, stage, cursor)
}

// resumeEveryPage crashes every invocation right after its first committed page: each checkpoint the run saves
// is continued by a new invocation with a new source, and the final state equals an uninterrupted run's.
func resumeEveryPage(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	tn := h.NewTenant(t, clk, 0)
	want := reference(t, h, clk, tn)
	r := newRig(t, h, clk)
	r.add(t, "resume", tn)
	crashes := crashUntilDone(t, r, clk, sspm.LaneFull, "resume")
	if crashes < 5 {
		t.Fatalf("only %d crashes: the tenant's pages are too few to resume from many cursors", crashes)
	}
	if d := r.snapshot(t, "resume").diff(want, true); d != "" {
		t.Fatalf("after %d crashes the store differs from an uninterrupted run: %s", crashes, d)
	}
	t.Logf("%d crashes, each resumed from its checkpoint by a new source", crashes)
}

// crashUntilDone runs the lane of connector id, its sources crashing (crashing) after a page, one invocation after
// another, each after the crashed one's lease expired, until a run completes; that run must have succeeded, and
// resumed when anything crashed before it. It returns how many invocations crashed.
func crashUntilDone(t *testing.T, r *rig, clk *clocktest.Clock, ln sspm.Lane, id string) int {
	t.Helper()
	r.wrap = func(s sspm.Source) sspm.Source { return &crashing{Source: s} }
	crashes := 0
	for {
		res, crashed := runCrashingLane(t, r, ln, id, fmt.Sprintf("inv-%d", crashes))
		clk.Advance(r.runner.LeaseTTL + time.Second) // the crashed invocation's lease expires
		if !crashed {
			if res.Outcome != lane.OutcomeSucceeded || (crashes > 0 && !res.Resumed) {
				t.Fatalf("after %d crashes: %s resumed %v (%v)", crashes, res.Outcome, res.Resumed, res.Err)
			}
			return crashes
		}
		crashes++
		if crashes > 2000 {
			t.Fatal("the run never completes")
		}
	}
}

// failPage is the page a fault on ep fires at: the second of a listing that took several requests in a full
// run (the middle of the stage), else every answer.
func failPage(ep Endpoint, requests int) int {
	if len(ep.Paging) > 0 && requests > 1 {
		return 2
	}
	return 0
}

// failureMidStage fails each stage in its middle after the tenant deleted objects: the failed run expires
// nothing; once the provider answers again, the next run expires exactly what was deleted.
func failureMidStage(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	probe := newRig(t, h, clk)
	stages := probe.stages(t, h.NewTenant(t, clk, 0))
	for _, stage := range stages {
		i := slices.IndexFunc(h.Endpoints, func(ep Endpoint) bool { return ep.Stage == stage })
		if i < 0 {
			t.Errorf("stage %s: the harness lists no endpoint for it", stage)
			continue
		}
		ep := h.Endpoints[i]
		t.Run(stage, func(t *testing.T) {
			clk := clocktest.New(Start)
			tn := h.NewTenant(t, clk, 0)
			r := newRig(t, h, clk)
			r.add(t, "fail", tn)
			r.sync(t, "fail", "first")
			requests := tn.Requests(ep.Name)
			before := r.snapshot(t, "fail")
			deleted := tn.Delete(t)
			tn.Inject(Fault{Endpoint: ep.Name, Kind: ServerError, Page: failPage(ep, requests)})
			res := r.run(t, "fail", "failing", time.Time{})
			if ep.Tolerant {
				if res.Outcome != lane.OutcomeSucceeded {
					t.Fatalf("a failing %s (tolerated) failed the run: %s %v", ep.Name, res.Outcome, res.Err)
				}
				tn.ClearFaults()
				want := reference(t, h, clk, tn)
				if d := r.snapshot(t, "fail").diff(want, false); d != "" {
					t.Fatalf("after a tolerated failure of %s: %s", ep.Name, d)
				}
				return
			}
			if res.Outcome != lane.OutcomeFailed || sspm.ErrorCode(res.Err) != sspm.CodeUnavailable || res.Run.ErrorKind != "provider" {
				t.Fatalf("a 5xx on %s: %s kind %q err %v; want a failed run of kind provider", ep.Name, res.Outcome, res.Run.ErrorKind, res.Err)
			}
			if d := r.snapshot(t, "fail").diff(before, false); d != "" {
				t.Fatalf("the failed run expired rows: %s", d)
			}
			if len(res.Expired) != 0 {
				t.Fatalf("the failed run expired %v", res.Expired)
			}
			tn.ClearFaults()
			res = r.sync(t, "fail", "recovered")
			after := r.snapshot(t, "fail")
			if d := after.diff(reference(t, h, clk, tn), false); d != "" {
				t.Fatalf("after the recovered run the store differs from the tenant: %s", d)
			}
			for _, e := range []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityResources, sspm.EntityGrants, sspm.EntityCredentials} {
				gone := 0
				for k := range before[e] {
					if _, ok := after[e][k]; !ok {
						gone++
					}
				}
				if res.Expired[e] != int64(gone) {
					t.Errorf("%s: the run expired %d, %d rows went", e, res.Expired[e], gone)
				}
				if slices.Contains(deleted, e) && gone == 0 {
					t.Errorf("%s: the tenant deleted some, the run expired none", e)
				}
			}
		})
	}
}

// rateLimits answers each of the provider's rate-limit answers once, mid-listing: a short wait is slept on the
// fake clock (at least as long as asked) and the run completes; a wait beyond the invocation's budget pauses the
// run until the provider's reset, sleeping nothing, and the invocation after the reset completes it.
func rateLimits(t *testing.T, h Harness) {
	i := slices.IndexFunc(h.Endpoints, func(ep Endpoint) bool { return len(ep.Paging) > 0 && !ep.Tolerant })
	if len(h.RateLimits) == 0 || i < 0 {
		t.Fatal("the harness names no rate-limit answer or no paged endpoint")
	}
	ep := h.Endpoints[i]
	for _, name := range h.RateLimits {
		t.Run(name, func(t *testing.T) {
			const short, long, budget = 30 * time.Second, 2 * time.Hour, 10 * time.Minute
			clk := clocktest.New(Start)
			tn := h.NewTenant(t, clk, 0)
			want := reference(t, h, clk, tn)

			r := newRig(t, h, clk)
			r.add(t, "short", tn)
			before := tn.Requests(ep.Name)
			tn.Inject(Fault{Endpoint: ep.Name, Kind: RateLimited, RateLimit: name, Wait: short, Page: 2, Times: 1})
			slept := clk.Slept()
			res := r.run(t, "short", "short", clk.Now().Add(budget))
			if res.Outcome != lane.OutcomeSucceeded {
				t.Fatalf("a %s wait on %s: %s (%v)", short, ep.Name, res.Outcome, res.Err)
			}
			if d := clk.Slept() - slept; d < short-time.Second {
				t.Errorf("slept %s; the provider asked for %s", d, short)
			}
			if tn.Requests(ep.Name)-before < 2 {
				t.Errorf("%s was not asked again after the wait", ep.Name)
			}
			if d := r.snapshot(t, "short").diff(want, true); d != "" {
				t.Errorf("after the wait: %s", d)
			}

			tn.ClearFaults()
			r.add(t, "long", tn)
			tn.Inject(Fault{Endpoint: ep.Name, Kind: RateLimited, RateLimit: name, Wait: long, Page: 2, Times: 1})
			slept, start := clk.Slept(), clk.Now()
			res = r.run(t, "long", "long-1", clk.Now().Add(budget))
			if res.Outcome != lane.OutcomeWaiting || sspm.ErrorCode(res.Err) != sspm.CodeRateLimited {
				t.Fatalf("a %s wait: %s (%v); want the run paused", long, res.Outcome, res.Err)
			}
			if res.ResumeAt.Before(start.Add(long-time.Second)) || res.ResumeAt.After(start.Add(long+budget)) {
				t.Errorf("resume at %s, %s after the start; the provider asked for %s", res.ResumeAt, res.ResumeAt.Sub(start), long)
			}
			if d := clk.Slept() - slept; d >= budget {
				t.Errorf("slept %s in-process; a wait beyond the budget must pause the run", d)
			}
			if len(res.Expired) != 0 {
				t.Errorf("a paused run expired %v", res.Expired)
			}
			asked := tn.Requests(ep.Name)
			clk.Advance(time.Minute)
			if early := r.run(t, "long", "long-early", clk.Now().Add(budget)); early.Outcome != lane.OutcomeWaiting || tn.Requests(ep.Name) != asked {
				t.Errorf("an invocation before the reset: %s, %d requests", early.Outcome, tn.Requests(ep.Name)-asked)
			}
			clk.Set(res.ResumeAt)
			done := r.run(t, "long", "long-2", clk.Now().Add(budget))
			if done.Outcome != lane.OutcomeSucceeded || !done.Resumed || done.Run.ID != res.Run.ID {
				t.Fatalf("after the reset: %s resumed %v (%v)", done.Outcome, done.Resumed, done.Err)
			}
			if d := r.snapshot(t, "long").diff(want, true); d != "" {
				t.Errorf("after the pause: %s", d)
			}
		})
	}
}

// paging reads every paged endpoint in each paging style it can answer with, and with an empty last page:
// the rows are those of the default answers, and the extra pages were asked for.
func paging(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	kind := h.Kind(clk)
	tn := h.NewTenant(t, clk, 0)
	want := drain(t, kind, tn)
	pagedReads(t, tn, h.Endpoints, func(t *testing.T) string {
		if d := sameKeys(drain(t, kind, tn), want); d != "" {
			return "rows differ: " + d
		}
		return ""
	})
}

// pagedReads reads each paged endpoint of eps in each paging style it can answer with (when it has several), and
// with an empty last page: read (a whole read of the tenant) says how what it read differs from the default
// answers ("" when it does not), and the fault made at least as many requests, the empty last pages more.
func pagedReads(t *testing.T, tn Tenant, eps []Endpoint, read func(*testing.T) string) {
	for _, ep := range eps {
		if len(ep.Paging) == 0 {
			continue
		}
		base := tn.Requests(ep.Name)
		read(t)
		plain := tn.Requests(ep.Name) - base
		var faults []Fault
		if len(ep.Paging) > 1 {
			for _, p := range ep.Paging {
				faults = append(faults, Fault{Endpoint: ep.Name, Kind: Style, Paging: p})
			}
		}
		faults = append(faults, Fault{Endpoint: ep.Name, Kind: EmptyLastPage})
		for _, f := range faults {
			name := string(f.Paging)
			if f.Kind == EmptyLastPage {
				name = "empty last page"
			}
			t.Run(ep.Name+"/"+name, func(t *testing.T) {
				tn.Inject(f)
				defer tn.ClearFaults()
				base := tn.Requests(ep.Name)
				if d := read(t); d != "" {
					t.Fatal(d)
				}
				n := tn.Requests(ep.Name) - base
				if n < plain || (f.Kind == EmptyLastPage && n == plain) {
					t.Errorf("%d requests, %d without the fault: the empty last pages were not followed", n, plain)
				}
			})
		}
	}
}

// tenantsApart syncs two connectors of the kind against two tenants at the same time into one store: each
// connector's rows are those of its own tenant alone.
func tenantsApart(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	a, b := h.NewTenant(t, clk, 0), h.NewTenant(t, clk, 1)
	wantA, wantB := reference(t, h, clk, a), reference(t, h, clk, b)
	if wantA.diff(wantB, true) == "" {
		t.Fatal("the two tenants hold the same rows; mixing could not be seen")
	}
	r := newRig(t, h, clk)
	r.add(t, "tenant-a", a)
	r.add(t, "tenant-b", b)
	runApart(t, r, sspm.LaneFull)
	if d := r.snapshot(t, "tenant-a").diff(wantA, true); d != "" {
		t.Errorf("tenant a: %s", d)
	}
	if d := r.snapshot(t, "tenant-b").diff(wantB, true); d != "" {
		t.Errorf("tenant b: %s", d)
	}
}

// runApart runs the lane of connectors tenant-a and tenant-b at the same time; both must succeed.
func runApart(t *testing.T, r *rig, ln sspm.Lane) {
	t.Helper()
	var wg sync.WaitGroup
	results := make([]lane.Result, 2)
	errs := make([]error, 2)
	for i, id := range []string{"tenant-a", "tenant-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.runner.Run(context.Background(), sspm.Invocation{Lane: ln, ConnectorID: id}, id, time.Time{})
		}()
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil || results[i].Outcome != lane.OutcomeSucceeded {
			t.Fatalf("run %d: %s %v %v", i, results[i].Outcome, errs[i], results[i].Err)
		}
	}
}
