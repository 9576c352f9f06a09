package sourcetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// forbidden answers 403 on every endpoint in turn, after the tenant deleted objects (Tenant.Delete). An endpoint
// that declares what it feeds (Endpoint.Unavailable) leaves the run succeeded with only those entities, wholly or
// in the scopes the run names, unavailable: their earlier rows are kept, every other row is swept as in an
// uninterrupted run of the tenant, and the next readable run is whole again. A required endpoint (declaring
// nothing) fails the run as an auth error and expires nothing.
func forbidden(t *testing.T, h Harness) {
	eachForbidden(t, h, h.Endpoints, func(t *testing.T, ep Endpoint, clk *clocktest.Clock, tn Tenant, r *rig) {
		r.sync(t, "forbidden", "first")
		before := r.snapshot(t, "forbidden")
		tn.Delete(t)
		want := reference(t, h, clk, tn) // the tenant after the deletions, read whole
		tn.Inject(Fault{Endpoint: ep.Name, Kind: Forbidden})
		asked := tn.Requests(ep.Name)
		res := r.run(t, "forbidden", "forbidden", time.Time{})
		if tn.Requests(ep.Name) == asked {
			t.Fatalf("the run never asked %s", ep.Name)
		}
		if len(ep.Unavailable) == 0 {
			failedAsAuth(t, ep, res)
			if d := r.snapshot(t, "forbidden").diff(before, false); d != "" {
				t.Fatalf("the failed run expired rows: %s", d)
			}
			return
		}
		if res.Outcome != lane.OutcomeSucceeded {
			t.Fatalf("a 403 on %s: %s (%v); want the run to succeed with what it hides unavailable", ep.Name, res.Outcome, res.Err)
		}
		scopes := map[sspm.Entity][]map[string]string{} // entity → scopes kept; a nil scope keeps the whole entity
		for _, u := range res.Run.Unavailable {
			e, cols, ok := sspm.ParseScope(u)
			if !ok {
				t.Fatalf("unavailable %q: a malformed scope", u)
			}
			scopes[e] = append(scopes[e], cols)
		}
		got := slices.Sorted(maps.Keys(scopes))
		wantEntities := slices.Clone(ep.Unavailable)
		slices.Sort(wantEntities)
		wantEntities = slices.Compact(wantEntities)
		if !slices.Equal(got, wantEntities) {
			t.Fatalf("a 403 on %s made %v unavailable (%v), want %v", ep.Name, got, res.Run.Unavailable, wantEntities)
		}
		after := r.snapshot(t, "forbidden")
		for _, e := range slices.Sorted(maps.Keys(unionSnap(before, want, after))) {
			if d := forbiddenRows(e, scopes[e], before[e], want[e], after[e]); d != "" {
				t.Errorf("%s: %s", e, d)
			}
			if whole(scopes[e]) && res.Expired[e] != 0 {
				t.Errorf("%s (unavailable): %d rows expired", e, res.Expired[e])
			}
		}
		tn.ClearFaults()
		if res := r.sync(t, "forbidden", "readable"); len(res.Run.Unavailable) != 0 {
			t.Errorf("readable again, still unavailable: %v", res.Run.Unavailable)
		}
		if d := r.snapshot(t, "forbidden").diff(want, false); d != "" {
			t.Errorf("readable again, the store differs from the tenant: %s", d)
		}
	})
}

// eachForbidden runs check as a subtest for each endpoint of eps that is not Tolerant, on a new tenant added to a
// new rig as connector "forbidden".
func eachForbidden(t *testing.T, h Harness, eps []Endpoint, check func(t *testing.T, ep Endpoint, clk *clocktest.Clock, tn Tenant, r *rig)) {
	for _, ep := range eps {
		if ep.Tolerant {
			continue
		}
		t.Run(ep.Name, func(t *testing.T) {
			clk := clocktest.New(Start)
			tn := h.NewTenant(t, clk, 0)
			r := newRig(t, h, clk)
			r.add(t, "forbidden", tn)
			check(t, ep, clk, tn, r)
		})
	}
}

// failedAsAuth fails the test unless a 403 on the required endpoint ep failed the run as an auth error.
func failedAsAuth(t *testing.T, ep Endpoint, res lane.Result) {
	t.Helper()
	if res.Outcome != lane.OutcomeFailed || res.Run.ErrorKind != "auth" {
		t.Fatalf("a 403 on the required %s: %s kind %q (%v); want a failed run of kind auth", ep.Name, res.Outcome, res.Run.ErrorKind, res.Err)
	}
}

// forbiddenRows checks one entity's live rows after a run that could not read the scopes of it (none: the entity
// was read; a nil scope: the whole entity): a row in a scope that was live before is still live, no row appears
// that neither the store nor the tenant had, and a row in no scope is live exactly when the tenant has it.
func forbiddenRows(e sspm.Entity, scopes []map[string]string, before, want, after map[string]string) string {
	in := func(content string) bool {
		if whole(scopes) {
			return true
		}
		var row map[string]any
		if json.Unmarshal([]byte(content), &row) != nil {
			return false
		}
		return slices.ContainsFunc(scopes, func(cols map[string]string) bool {
			for k, v := range cols {
				if x, ok := row[k]; !ok || fmt.Sprint(x) != v {
					return false
				}
			}
			return true
		})
	}
	var lost, invented, unswept, missing []string
	kept := 0
	for k, c := range before {
		if in(c) {
			kept++
			if _, ok := after[k]; !ok {
				lost = append(lost, k)
			}
		}
	}
	if len(scopes) > 0 && kept == 0 {
		return fmt.Sprintf("no row was live in the unavailable scopes %v before the run: the test shows nothing", scopes)
	}
	for k, c := range after {
		_, had := before[k]
		_, has := want[k]
		switch {
		case !had && !has:
			invented = append(invented, k)
		case !has && !in(c):
			unswept = append(unswept, k)
		}
	}
	for k, c := range want {
		if _, ok := after[k]; !ok && !in(c) {
			missing = append(missing, k)
		}
	}
	var out []string
	for _, x := range []struct {
		what string
		keys []string
	}{{"unavailable rows lost", lost}, {"rows neither the store nor the tenant had", invented},
		{"deleted rows outside the unavailable scopes not swept", unswept}, {"rows of the tenant missing", missing}} {
		if len(x.keys) > 0 {
			out = append(out, x.what+" "+sample(x.keys))
		}
	}
	return strings.Join(out, "; ")
}

func unionSnap(snaps ...snapshot) map[sspm.Entity]bool {
	out := map[sspm.Entity]bool{}
	for _, s := range snaps {
		for e := range s {
			out[e] = true
		}
	}
	return out
}

// whole reports whether the scopes name the whole entity (a nil scope).
func whole(scopes []map[string]string) bool {
	return slices.ContainsFunc(scopes, func(c map[string]string) bool { return c == nil })
}
