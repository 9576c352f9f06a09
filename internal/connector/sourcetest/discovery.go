package sourcetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// Discovery describes a kind's discovery lane (SaaS app evidence read from the provider's logs).
type Discovery struct {
	// Endpoints lists the provider endpoints the discovery lane reads, at least one for every stage; Unavailable
	// and Tolerant mean what they mean for the full lane. The tenant's logs must hold evidence over several
	// pages.
	Endpoints []Endpoint
	// Emit makes n new pieces of evidence happen in the tenant at the clock's time (sign-ins to apps).
	Emit func(t testing.TB, tn Tenant, n int)
}

// runDiscovery runs the suite's discovery tests.
func runDiscovery(t *testing.T, h Harness) {
	if len(h.Discovery.Endpoints) == 0 || h.Discovery.Emit == nil {
		t.Fatal("sourcetest: the harness's Discovery needs Endpoints and Emit")
	}
	t.Run("resume after a crash at every page", func(t *testing.T) { discoveryResume(t, h) })
	t.Run("a failure mid-stage keeps the evidence and the watermark", func(t *testing.T) { discoveryFailure(t, h) })
	t.Run("403 keeps the evidence", func(t *testing.T) { discoveryForbidden(t, h) })
	t.Run("every paging style is followed to the end", func(t *testing.T) { discoveryPaging(t, h) })
	t.Run("two tenants side by side never mix", func(t *testing.T) { discoveryTenantsApart(t, h) })
}

// runLane runs lane l of connector id once.
func (r *rig) runLane(t *testing.T, l sspm.Lane, id, owner string) lane.Result {
	t.Helper()
	res, err := r.runner.Run(context.Background(), sspm.Invocation{Lane: l, ConnectorID: id}, owner, time.Time{})
	if err != nil {
		t.Fatalf("run %s: %v", owner, err)
	}
	return res
}

func (r *rig) discover(t *testing.T, id, owner string) lane.Result {
	t.Helper()
	res := r.runLane(t, sspm.LaneDiscovery, id, owner)
	if res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("discovery %s: %s (%v)", owner, res.Outcome, res.Err)
	}
	return res
}

// evidence is a connector's stored evidence: kind/app/actor → the row (without ids).
func (r *rig) evidence(t testing.TB, id string) map[string]string {
	t.Helper()
	rows, err := r.db.Pool().Query(context.Background(), `SELECT concat_ws('/', kind, app_key, actor_key),
		(to_jsonb(x) - 'id' - 'connector_id')::text FROM saas_app_evidence x WHERE connector_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// discoveryReference is the evidence of one uninterrupted discovery run of tn in a database of its own.
func discoveryReference(t *testing.T, h Harness, clk *clocktest.Clock, tn Tenant) map[string]string {
	t.Helper()
	ref := newRig(t, h, clk)
	ref.add(t, "reference", tn)
	ref.discover(t, "reference", "reference")
	return ref.evidence(t, "reference")
}

// discoveryResume crashes every discovery invocation right after its first committed page: the evidence after
// the last equals an uninterrupted run's, each page counted once.
func discoveryResume(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	tn := h.NewTenant(t, clk, 0)
	want := discoveryReference(t, h, clk, tn)
	if len(want) == 0 {
		t.Fatal("the tenant's logs hold no evidence")
	}
	r := newRig(t, h, clk)
	r.add(t, "resume", tn)
	crashes := crashUntilDone(t, r, clk, sspm.LaneDiscovery, "resume")
	if crashes < 2 {
		t.Fatalf("only %d crashes: the tenant's evidence is on too few pages to resume from many cursors", crashes)
	}
	if d := diffRows(r.evidence(t, "resume"), want, true); d != "" {
		t.Fatalf("after %d crashes the evidence differs from an uninterrupted run's: %s", crashes, d)
	}
}

func runCrashingLane(t *testing.T, r *rig, l sspm.Lane, id, owner string) (res lane.Result, crashed bool) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			if p != "crash" {
				panic(p)
			}
			crashed = true
		}
	}()
	return r.runLane(t, l, id, owner), false
}

// discoveryFailure fails each discovery stage in its middle after new evidence happened: the failed run changes
// no evidence and no watermark; the next run records the new evidence once.
func discoveryFailure(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	stages := func() []string {
		probe := newRig(t, h, clk)
		tn := h.NewTenant(t, clk, 0)
		src, err := probe.kind.NewSource(context.Background(), tn.Connector("stages"), tn.Secret())
		if err != nil {
			t.Fatal(err)
		}
		return src.Stages(sspm.LaneDiscovery)
	}()
	for _, stage := range stages {
		for _, ep := range h.Discovery.Endpoints {
			if ep.Stage != stage || ep.Tolerant || len(ep.Unavailable) > 0 {
				continue
			}
			t.Run(stage+ep.Name, func(t *testing.T) {
				clk := clocktest.New(Start)
				tn := h.NewTenant(t, clk, 0)
				r := newRig(t, h, clk)
				r.add(t, "fail", tn)
				r.discover(t, "fail", "first")
				before := r.evidence(t, "fail")
				mark, err := r.db.Watermark(context.Background(), "fail", sspm.LaneDiscovery, stage)
				if err != nil {
					t.Fatal(err)
				}
				clk.Advance(time.Hour)
				h.Discovery.Emit(t, tn, 3)
				clk.Advance(time.Minute)
				tn.Inject(Fault{Endpoint: ep.Name, Kind: ServerError})
				res := r.runLane(t, sspm.LaneDiscovery, "fail", "failing")
				if res.Outcome != lane.OutcomeFailed || res.Run.ErrorKind != "provider" {
					t.Fatalf("a 5xx on %s: %s kind %q (%v); want a failed run of kind provider", ep.Name, res.Outcome, res.Run.ErrorKind, res.Err)
				}
				if d := diffRows(r.evidence(t, "fail"), before, true); d != "" {
					t.Fatalf("the failed run changed evidence: %s", d)
				}
				if now, _ := r.db.Watermark(context.Background(), "fail", sspm.LaneDiscovery, stage); now != mark {
					t.Fatalf("the failed run moved the watermark %q → %q", mark, now)
				}
				tn.ClearFaults()
				clk.Advance(time.Minute)
				r.discover(t, "fail", "recovered")
				after := r.evidence(t, "fail")
				if len(after) <= len(before) && diffRows(after, before, true) == "" {
					t.Fatal("the recovered run recorded none of the new evidence")
				}
				again := r.evidence(t, "fail")
				clk.Advance(time.Minute)
				r.discover(t, "fail", "again")
				if d := diffRows(r.evidence(t, "fail"), again, true); d != "" {
					t.Fatalf("a run with nothing new changed evidence (counted twice?): %s", d)
				}
			})
		}
	}
}

// discoveryForbidden answers 403 on each discovery endpoint in turn: the evidence stays as it was; an endpoint
// that feeds optional data lets the run succeed and reports what it hid, a required one fails the run as auth.
func discoveryForbidden(t *testing.T, h Harness) {
	eachForbidden(t, h, h.Discovery.Endpoints, func(t *testing.T, ep Endpoint, clk *clocktest.Clock, tn Tenant, r *rig) {
		r.discover(t, "forbidden", "first")
		before := r.evidence(t, "forbidden")
		clk.Advance(time.Minute)
		tn.Inject(Fault{Endpoint: ep.Name, Kind: Forbidden})
		res := r.runLane(t, sspm.LaneDiscovery, "forbidden", "forbidden")
		after := r.evidence(t, "forbidden")
		for k := range before {
			if _, ok := after[k]; !ok {
				t.Errorf("evidence %s went", k)
			}
		}
		if len(ep.Unavailable) == 0 {
			failedAsAuth(t, ep, res)
			return
		}
		if res.Outcome != lane.OutcomeSucceeded {
			t.Fatalf("a 403 on %s failed the run: %v", ep.Name, res.Err)
		}
		var want []string
		for _, e := range ep.Unavailable {
			want = append(want, string(e))
		}
		got := slices.Clone(res.Run.Unavailable)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("a 403 on %s made %v unavailable, want %v", ep.Name, got, want)
		}
	})
}

// drainDiscovery reads the discovery lane from a new source without storing it: the evidence keys it returns.
func drainDiscovery(t *testing.T, r *rig, tn Tenant) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	stepAll(t, r.kind, tn, sspm.LaneDiscovery, func(p sspm.Page) {
		for _, e := range p.Evidence {
			out[e.Kind+"/"+e.SourceEvent] = true
		}
	})
	return out
}

// discoveryPaging reads the discovery lane with each paging style of its paged endpoints and an empty last page:
// the same evidence, and the extra pages were asked for.
func discoveryPaging(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	r := newRig(t, h, clk)
	tn := h.NewTenant(t, clk, 0)
	want := drainDiscovery(t, r, tn)
	if len(want) == 0 {
		t.Fatal("the tenant's logs hold no evidence")
	}
	pagedReads(t, tn, h.Discovery.Endpoints, func(t *testing.T) string {
		if d := diffRows(keys(drainDiscovery(t, r, tn)), keys(want), false); d != "" {
			return "evidence differs: " + d
		}
		return ""
	})
}

func keys(m map[string]bool) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = ""
	}
	return out
}

// discoveryTenantsApart runs the discovery lanes of two tenants at the same time into one store: each
// connector's evidence is its own tenant's.
func discoveryTenantsApart(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	a, b := h.NewTenant(t, clk, 0), h.NewTenant(t, clk, 1)
	wantA, wantB := discoveryReference(t, h, clk, a), discoveryReference(t, h, clk, b)
	if diffRows(wantA, wantB, true) == "" {
		t.Fatal("the two tenants hold the same evidence; mixing could not be seen")
	}
	r := newRig(t, h, clk)
	r.add(t, "tenant-a", a)
	r.add(t, "tenant-b", b)
	runApart(t, r, sspm.LaneDiscovery)
	if d := diffRows(r.evidence(t, "tenant-a"), wantA, true); d != "" {
		t.Errorf("tenant a: %s", d)
	}
	if d := diffRows(r.evidence(t, "tenant-b"), wantB, true); d != "" {
		t.Errorf("tenant b: %s", d)
	}
}
