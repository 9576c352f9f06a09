package github_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

var _ connector.HTTPCache = (*postgres.DB)(nil)

// newCachedLaneEnv is newLaneEnv with the store as the connector's response cache, bound the way the
// composition root binds it (connector.Registry.Bind).
func newCachedLaneEnv(t *testing.T, e *env) *laneEnv {
	t.Helper()
	le := newLaneEnv(t, e)
	kind, err := connector.NewRegistry(ghc.NewKind(e.opts)).Bind(connector.Deps{HTTPCache: le.db}).Lookup(sspm.KindGitHub)
	if err != nil {
		t.Fatal(err)
	}
	le.runner.Sources = func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return kind.NewSource(ctx, c, []byte(githubsim.DefaultToken))
	}
	e.opts.Cache = le.db
	return le
}

// TestSecondSyncIsCheap: a second full sync of an unchanged organization spends under 10% of the first one's
// REST (core) rate-limit budget (its listings come back 304), emits the same rows and expires nothing; a team
// deleted between syncs is still picked up and swept, still cheaply. GraphQL (emails, teams' immediate members)
// has no conditional requests and a budget of its own: it is left out of the REST figures.
func TestSecondSyncIsCheap(t *testing.T) {
	t.Parallel()
	le := newCachedLaneEnv(t, newEnv(t, githubsim.Options{TokensListPATs: true})) // every listing answers 200 or 304
	used := func() int { return le.sim.Used() }

	u0 := used()
	first := le.run(t, "first")
	if first.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("first run: %+v", first)
	}
	graphql := func() int { return le.sim.Stats().ByRoute["POST /graphql"] }
	firstBudget := used() - u0 - graphql()
	before := le.counts(t)
	entries, _, _, err := le.db.HTTPCacheSize(context.Background(), le.conn.ID)
	if err != nil || entries == 0 {
		t.Fatalf("cache after the first run: %d entries, %v", entries, err)
	}

	le.sim.ResetStats()
	u1 := used()
	second := le.run(t, "second")
	secondBudget := used() - u1 - graphql()
	stats := le.sim.Stats()
	if second.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("second run: %+v", second)
	}
	if float64(secondBudget) >= 0.10*float64(firstBudget) {
		t.Errorf("second sync spent %d of the budget, first %d: want under 10%%", secondBudget, firstBudget)
	}
	if stats.NotModified == 0 || stats.ByStatus[http.StatusOK] != secondBudget+graphql() {
		t.Errorf("second sync: %d answers 304, %d answers 200, budget %d", stats.NotModified, stats.ByStatus[http.StatusOK], secondBudget)
	}
	if after := le.counts(t); !sameCounts(after, before) || sumExpired(second) != 0 {
		t.Errorf("an unchanged organization changed the inventory: %v → %v, expired %v", before, after, second.Expired)
	}
	t.Logf("budget: first sync %d requests, second %d (%.1f%%); second sync: %d requests, %d answered 304",
		firstBudget, secondBudget, 100*float64(secondBudget)/float64(firstBudget), stats.Total, stats.NotModified)

	teams := le.sim.Teams()
	if err := le.sim.DeleteTeam(teams[len(teams)-1]); err != nil {
		t.Fatal(err)
	}
	le.sim.ResetStats()
	u2 := used()
	third := le.run(t, "third")
	if third.Outcome != lane.OutcomeSucceeded || third.Expired[sspm.EntityGroups] != 1 || third.Expired[sspm.EntityAccounts] != 0 {
		t.Fatalf("after deleting a team: outcome %s, expired %v", third.Outcome, third.Expired)
	}
	if after := le.counts(t); after[sspm.EntityGroups] != before[sspm.EntityGroups]-1 {
		t.Errorf("groups %d → %d", before[sspm.EntityGroups], after[sspm.EntityGroups])
	}
	if spent := used() - u2 - graphql(); float64(spent) >= 0.10*float64(firstBudget) {
		t.Errorf("a sync after one team was deleted spent %d (first %d)", spent, firstBudget)
	}
}

// TestCacheReplaysExactAnswers: a sync replayed from 304s emits exactly the rows of a plain one; a failing cache
// costs only the saving (requests go out unconditionally).
func TestCacheReplaysExactAnswers(t *testing.T) {
	t.Parallel()
	le := newCachedLaneEnv(t, newEnv(t, githubsim.Options{}))
	plain, err := drain(t, le.source(t))
	if err != nil {
		t.Fatal(err)
	}
	src := le.source(t)
	cached, err := drain(t, src)
	if err != nil {
		t.Fatal(err)
	}
	st := src.CacheStats()
	if st.Hits == 0 || st.Errors != 0 {
		t.Fatalf("cache stats %+v", st)
	}
	if len(cached.page.Accounts) != len(plain.page.Accounts) || len(cached.page.Grants) != len(plain.page.Grants) ||
		len(cached.page.GroupMembers) != len(plain.page.GroupMembers) || len(cached.page.Credentials) != len(plain.page.Credentials) {
		t.Errorf("replayed pages differ: accounts %d/%d grants %d/%d", len(cached.page.Accounts), len(plain.page.Accounts),
			len(cached.page.Grants), len(plain.page.Grants))
	}
	for i, a := range plain.page.Accounts {
		if cached.page.Accounts[i].ExternalID != a.ExternalID || cached.page.Accounts[i].Email != a.Email {
			t.Fatalf("account %d: %+v, want %+v", i, cached.page.Accounts[i], a)
		}
	}

	e := le.env
	e.opts.Cache = failingCache{}
	src = e.source(t)
	again, err := drain(t, src)
	if err != nil || len(again.page.Accounts) != len(plain.page.Accounts) || src.CacheStats().Errors == 0 {
		t.Fatalf("with a failing cache: %d accounts, %v, stats %+v", len(again.page.Accounts), err, src.CacheStats())
	}
}

func sumExpired(r lane.Result) int64 {
	var n int64
	for _, v := range r.Expired {
		n += v
	}
	return n
}

type failingCache struct{}

func (failingCache) GetHTTPCache(context.Context, string, string) (string, http.Header, []byte, error) {
	return "", nil, nil, errFailing
}

func (failingCache) PutHTTPCache(context.Context, string, string, string, http.Header, []byte) error {
	return errFailing
}

func (failingCache) EvictHTTPCache(context.Context, string, time.Duration) (int64, error) {
	return 0, errFailing
}

var errFailing = errors.New("cache down")
