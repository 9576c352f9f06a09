package okta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// BenchmarkAccessHistoryResync measures access history on the Okta benchmark org (providersim.Large: 50,000
// users): a first full sync through the lane runner into PostgreSQL (the baseline, which records nothing), a
// re-sync with nothing changed, which must record no access change, then a re-sync after 1% of the group
// memberships and 1% of the app assignments changed in the simulator (half added, half removed), which must
// record exactly those changes: the same count per change kind, and each changed membership and assignment.
//
// The simulator runs in this process (not in a simproc child as BenchmarkFullSync's does), because the changes are
// made through oktasim's mutation API, which the child process does not serve. Memberships change only in groups
// that are assigned to no app and hold no admin role (so that a membership change is exactly one membership
// change and no derived grant), and only for users that are not deprovisioned; assignments change as direct
// (USER-scoped) assignments, each exactly one direct grant. It reports the changes recorded and expected and the
// seconds of the changed re-sync (the simulator's CPU included).
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable go test -run '^$' -bench BenchmarkAccessHistoryResync -benchtime 1x ./internal/connector/okta/
func BenchmarkAccessHistoryResync(b *testing.B) {
	isolate(b)
	company, err := providersim.NewCompany(providersim.Large())
	if err != nil {
		b.Fatal(err)
	}
	sim := oktasim.NewHandler(company, oktasim.Options{})
	ts := httptest.NewServer(sim.Handler())
	b.Cleanup(ts.Close)
	db := postgrestest.New(b)
	ctx := context.Background()
	const cid = "okta-history"
	conf := mustJSON(b, map[string]any{"org_url": ts.URL, "auth": "api_token"})
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: cid, Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Config: conf}, nil, ""); err != nil {
		b.Fatal(err)
	}
	opts := okta.Options{AllowLoopback: true, Outbound: sourcetest.Loopback}
	runner := &lane.Runner{Store: db, LeaseTTL: 10 * time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
	}}
	run := func(name string) (lane.Result, time.Duration) {
		start := time.Now()
		res, err := runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: cid}, name, time.Time{})
		if err != nil || res.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("%s: %v %+v", name, err, res)
		}
		return res, time.Since(start)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		base, baseWall := run(fmt.Sprint("baseline-", i))
		if got := accessChangeLines(b, db, cid); len(got) != 0 {
			b.Fatalf("the baseline recorded %d changes, e.g. %q", len(got), got[:min(5, len(got))])
		}
		_, sameWall := run(fmt.Sprint("unchanged-", i))
		unchanged := accessChangeLines(b, db, cid)
		if len(unchanged) != 0 {
			b.Fatalf("a re-sync with nothing changed recorded %d changes, e.g. %q", len(unchanged), unchanged[:min(5, len(unchanged))])
		}
		b.StopTimer()
		want, memberships, assignments := changeOnePercent(b, sim, ts.URL)
		b.StartTimer()
		_, wall := run(fmt.Sprint("changed-", i))
		got := accessChangeLines(b, db, cid)
		count := func(lines []string) map[string]int {
			m := map[string]int{}
			for _, l := range lines {
				m[strings.Fields(l)[0]]++
			}
			return m
		}
		if !slices.Equal(got, want) {
			var missing, extra []string
			for _, w := range want {
				if _, ok := slices.BinarySearch(got, w); !ok {
					missing = append(missing, w)
				}
			}
			for _, g := range got {
				if _, ok := slices.BinarySearch(want, g); !ok {
					extra = append(extra, g)
				}
			}
			b.Fatalf("recorded %d changes %v, want %d %v; missing %d (e.g. %q), extra %d (e.g. %q)", len(got), count(got), len(want), count(want),
				len(missing), missing[:min(5, len(missing))], len(extra), extra[:min(5, len(extra))])
		}
		b.ReportMetric(float64(len(got)), "changes-recorded")
		b.ReportMetric(float64(len(want)), "changes-expected")
		b.ReportMetric(float64(len(unchanged)), "unchanged-resync-changes")
		b.ReportMetric(wall.Seconds(), "resync-s")
		b.Logf("baseline %s (%d rows %v); unchanged re-sync %s: 0 changes; changed %d of %d memberships and %d of %d app assignments; "+
			"re-sync %s recorded %d changes %v, exactly the %d expected",
			baseWall.Round(time.Millisecond), simprocRows(base.Run.Counts), base.Run.Counts, sameWall.Round(time.Millisecond),
			count(want)[sspm.ChangeMembershipAdded]+count(want)[sspm.ChangeMembershipRemoved], memberships,
			count(want)[sspm.ChangeGrantAdded]+count(want)[sspm.ChangeGrantRemoved], assignments,
			wall.Round(time.Millisecond), len(got), count(got), len(want))
	}
}

func simprocRows(counts map[string]int64) int64 {
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

// accessChangeLines lists the connector's access changes as sorted "change principal target via" lines.
func accessChangeLines(b *testing.B, db *postgres.DB, cid string) []string {
	var out []string
	for f := (sspm.ChangeFilter{ConnectorID: cid}); ; {
		cs, err := db.AccessChanges(context.Background(), f)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cs {
			out = append(out, changeLine(c.Change, c.PrincipalExternalID, c.TargetExternalID, c.Via+":"+c.ViaExternalID))
		}
		if len(cs) < postgres.MaxChangePage {
			break
		}
		f.BeforeAt, f.BeforeID = cs[len(cs)-1].ObservedAt, cs[len(cs)-1].ID
	}
	slices.Sort(out)
	return out
}

func changeLine(change, principal, target, via string) string {
	return change + " " + principal + " " + target + " " + via
}

// changeOnePercent changes 1% of the simulator's group memberships and 1% of its app assignments, half added and
// half removed, and returns the access changes they must record (sorted lines as accessChangeLines renders them)
// and the memberships and assignments there were.
func changeOnePercent(b *testing.B, sim *oktasim.Server, url string) (want []string, memberships, assignments int) {
	var active []string
	for _, u := range listObjects(b, url, "/api/v1/users?limit=200") { // deprovisioned users are not listed
		active = append(active, u.ID)
	}
	isActive := map[string]bool{}
	for _, u := range active {
		isActive[u] = true
	}
	groups, apps := listObjects(b, url, "/api/v1/groups?limit=10000"), listObjects(b, url, "/api/v1/apps?limit=200")
	withApps := map[string]bool{}
	appUsers := map[string][]object{}
	for _, a := range apps {
		for _, g := range listObjects(b, url, "/api/v1/apps/"+a.ID+"/groups?limit=200") {
			withApps[g.ID] = true
		}
		appUsers[a.ID] = listObjects(b, url, "/api/v1/apps/"+a.ID+"/users?limit=500")
		assignments += len(appUsers[a.ID])
	}
	members := map[string][]object{}
	var plain []string // groups with no app and no admin role: a membership change there is one change
	for _, g := range groups {
		members[g.ID] = listObjects(b, url, "/api/v1/groups/"+g.ID+"/users?limit=1000")
		memberships += len(members[g.ID])
		if string(g.Type) == `"OKTA_GROUP"` && !withApps[g.ID] && len(listObjects(b, url, "/api/v1/groups/"+g.ID+"/roles")) == 0 {
			plain = append(plain, g.ID)
		}
	}

	// Memberships: in each plain group in turn, remove up to 5 active members and add as many active non-members.
	half := memberships / 100 / 2
	added, removed, next := 0, 0, 0
	for _, gid := range plain {
		if added >= half && removed >= half {
			break
		}
		in := map[string]bool{}
		for _, m := range members[gid] {
			in[m.ID] = true
		}
		for k := 0; k < len(members[gid]) && k < 5 && removed < half; k++ {
			if uid := members[gid][k].ID; isActive[uid] {
				if err := sim.RemoveGroupMember(gid, uid); err != nil {
					b.Fatal(err)
				}
				want = append(want, changeLine(sspm.ChangeMembershipRemoved, uid, gid, "direct:"))
				removed++
			}
		}
		for k := 0; k < 5 && added < half; k++ {
			uid := active[next%len(active)]
			next += 7919 // a prime stride spreads the additions over the users
			if in[uid] {
				continue
			}
			in[uid] = true
			if err := sim.AddGroupMember(gid, uid); err != nil {
				b.Fatal(err)
			}
			want = append(want, changeLine(sspm.ChangeMembershipAdded, uid, gid, "direct:"))
			added++
		}
	}
	if added < half || removed < half {
		b.Fatalf("only %d plain groups: %d memberships added and %d removed, want %d each", len(plain), added, removed, half)
	}

	// Assignments: in each app in turn, remove a direct assignment of an active user and directly assign an
	// active user the app has not.
	half = assignments / 100 / 2
	added, removed = 0, 0
	for round := 0; added < half || removed < half; round++ {
		progress := false
		for _, a := range apps {
			users := appUsers[a.ID]
			assigned := map[string]bool{}
			for _, u := range users {
				assigned[u.ID] = true
			}
			if removed < half {
				n := 0
				for _, u := range users {
					if u.Scope == "USER" && isActive[u.ID] {
						if n == round {
							if err := sim.UnassignUserFromApp(a.ID, u.ID); err != nil {
								b.Fatal(err)
							}
							want = append(want, changeLine(sspm.ChangeGrantRemoved, u.ID, a.ID, "direct:"))
							removed, progress = removed+1, true
							break
						}
						n++
					}
				}
			}
			if added < half {
				for tries := 0; tries < 100; tries++ {
					uid := active[next%len(active)]
					next += 7919
					if !assigned[uid] {
						if err := sim.AssignUserToApp(a.ID, uid); err != nil {
							b.Fatal(err)
						}
						appUsers[a.ID] = append(appUsers[a.ID], object{ID: uid, Scope: "ADDED"}) // not removed again, not added twice
						want = append(want, changeLine(sspm.ChangeGrantAdded, uid, a.ID, "direct:"))
						added, progress = added+1, true
						break
					}
				}
			}
			if added >= half && removed >= half {
				break
			}
		}
		if !progress {
			b.Fatalf("%d assignments added and %d removed, want %d each", added, removed, half)
		}
	}
	slices.Sort(want)
	return want, memberships, assignments
}

// object is what changeOnePercent reads of a listed user, group, app or assignment.
type object struct {
	ID    string          `json:"id"`
	Type  json.RawMessage `json:"type"` // a group's is a string; a user's an object
	Scope string          `json:"scope"`
}

// listObjects lists every page of a listing with plain HTTP, following the Link header.
func listObjects(b *testing.B, url, path string) []object {
	var out []object
	for next := url + path; next != ""; {
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		req.Header.Set("Authorization", "SSWS "+oktasim.DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var page []object
		if err := json.Unmarshal(body, &page); err != nil {
			b.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		out = append(out, page...)
		next = ""
		for _, l := range resp.Header.Values("Link") {
			if strings.Contains(l, `rel="next"`) {
				next = strings.Trim(strings.SplitN(l, ";", 2)[0], "<> ")
			}
		}
	}
	return out
}
