package drill_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// pageCaps page the System Log in a few events, so that catching up takes several reads. The inventory keeps
// Okta's page sizes: a full sync of the small org is a dozen steps all the same (one or more per stage).
var pageCaps = map[string]int{"/api/v1/logs": 40}

// newOrg serves a small company as an Okta org on clk, closed when the test ends.
func newOrg(t testing.TB, clk *clocktest.Clock, hooks oktasim.HookOptions) *oktasim.Server {
	t.Helper()
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := oktasim.New(company, oktasim.Options{Clock: clk.Now, PageCaps: pageCaps, Hooks: hooks})
	t.Cleanup(sim.Close)
	return sim
}

// oktaConnector is a connector of the org under id.
func oktaConnector(sim *oktasim.Server, id string) sspm.Connector {
	// No factor_budget: the default reads every user's factors in every run, so one run stores what two do.
	raw, _ := json.Marshal(map[string]any{"org_url": sim.URL(), "auth": "api_token"})
	return sspm.Connector{ID: id, Kind: sspm.KindOkta, Name: "Okta " + id, Enabled: true, Config: raw}
}

// oktaOptions build the Okta kind on clk, allowed to reach the simulator on the loopback network.
func oktaOptions(clk *clocktest.Clock) okta.Options {
	return okta.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}
}

// newRunner is the full lane's runner over store, on clk, reading the org with the simulator's token.
func newRunner(store lane.RunStore, clk *clocktest.Clock) *lane.Runner {
	opts := oktaOptions(clk)
	return &lane.Runner{Store: store, Now: clk.Now, Sleep: clk.Sleep, LeaseTTL: time.Minute,
		Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
			return opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
		}}
}

func addConnector(t testing.TB, db *postgres.DB, c sspm.Connector) {
	t.Helper()
	if _, err := db.CreateConnector(context.Background(), c, nil, ""); err != nil {
		t.Fatal(err)
	}
}

// fullSync runs connector id's full lane to its end in one invocation and requires it to succeed.
func fullSync(t testing.TB, r *lane.Runner, id, owner string) lane.Result {
	t.Helper()
	res, err := r.Run(context.Background(), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: id}, owner, time.Time{})
	if err != nil || res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("full sync %s: %s %v %v", owner, res.Outcome, res.Err, err)
	}
	return res
}

// deleteSome deletes a user, a group membership and a group in the org, as its admin would: the next complete
// full run must expire their rows, and no other run may.
func deleteSome(t testing.TB, sim *oktasim.Server) {
	t.Helper()
	c := sim.Company()
	var users []string
	for _, p := range c.People {
		if id, ok := sim.UserID(p.ID); ok {
			users = append(users, id)
		}
	}
	var groups []string
	for _, g := range c.Groups {
		if id, ok := sim.GroupID(g.Name); ok {
			groups = append(groups, id)
		}
	}
	if len(users) < 5 || len(groups) < 3 {
		t.Fatalf("the org has %d users and %d groups", len(users), len(groups))
	}
	must(t, sim.DeleteUser(users[3]))
	must(t, sim.DeleteGroup(groups[len(groups)-1]))
	must(t, sim.AddGroupMember(groups[1], users[4]))
	must(t, sim.RemoveGroupMember(groups[1], users[4]))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is a connector's live rows: entity → row key → row content without the sync bookkeeping.
type snapshot map[string]map[string]string

var snapshotKeys = map[sspm.Entity]string{
	sspm.EntityAccounts:     `external_id, 'accounts'`,
	sspm.EntityGroups:       `external_id, 'groups'`,
	sspm.EntityGroupMembers: `concat_ws('/', group_external_id, member_external_id, member_kind), 'group_members'`,
	sspm.EntityResources:    `external_id, 'resources'`,
	sspm.EntityGrants:       `concat_ws('/', principal_external_id, principal_kind, resource_external_id, permission, via, via_external_id), 'grants'`,
	sspm.EntityCredentials:  `external_id, 'credentials'`,
	sspm.EntityDatasets:     `concat_ws('/', dataset, external_id), 'dataset:' || dataset`,
}

func takeSnapshot(t testing.TB, db *postgres.DB, id string) snapshot {
	t.Helper()
	out := snapshot{}
	for entity, key := range snapshotKeys {
		rows, err := db.Pool().Query(context.Background(), `SELECT `+key+`, (to_jsonb(x) - 'id' - 'connector_id' - 'seen_in_run'
			- 'seen_at' - 'first_seen_at' - 'expired_at')::text FROM `+string(entity)+` x WHERE connector_id = $1 AND expired_at IS NULL`, id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k, e, content string
			if err := rows.Scan(&k, &e, &content); err != nil {
				t.Fatal(err)
			}
			if out[e] == nil {
				out[e] = map[string]string{}
			}
			out[e][k] = content
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (s snapshot) rows() int {
	n := 0
	for _, m := range s {
		n += len(m)
	}
	return n
}

// diff says how s differs from want (row keys, and contents when content is set); "" when it does not.
func (s snapshot) diff(want snapshot, content bool) string {
	var out []string
	for _, e := range slices.Sorted(maps.Keys(union(s, want))) {
		var missing, extra, changed []string
		for k, v := range want[e] {
			g, ok := s[e][k]
			switch {
			case !ok:
				missing = append(missing, k)
			case content && g != v:
				changed = append(changed, k)
			}
		}
		for k := range s[e] {
			if _, ok := want[e][k]; !ok {
				extra = append(extra, k)
			}
		}
		if len(missing)+len(extra)+len(changed) > 0 {
			out = append(out, fmt.Sprintf("%s: %d rows, want %d: missing %s, extra %s, changed %s", e, len(s[e]), len(want[e]),
				sample(missing), sample(extra), sample(changed)))
		}
	}
	return strings.Join(out, "; ")
}

// missing lists the rows of want that s lacks: rows lost or expired.
func (s snapshot) missing(want snapshot) string {
	var out []string
	for _, e := range slices.Sorted(maps.Keys(want)) {
		var gone []string
		for k := range want[e] {
			if _, ok := s[e][k]; !ok {
				gone = append(gone, k)
			}
		}
		if len(gone) > 0 {
			out = append(out, fmt.Sprintf("%s: %s", e, sample(gone)))
		}
	}
	return strings.Join(out, "; ")
}

func union(a, b snapshot) map[string]bool {
	out := map[string]bool{}
	for e := range a {
		out[e] = true
	}
	for e := range b {
		out[e] = true
	}
	return out
}

func sample(keys []string) string {
	sort.Strings(keys)
	if len(keys) > 3 {
		return fmt.Sprintf("%v and %d more", keys[:3], len(keys)-3)
	}
	return fmt.Sprint(keys)
}

// child is the test binary started again to play a part, told by environment variables; it reports its progress
// one line at a time on stdout.
type child struct {
	cmd   *exec.Cmd
	lines chan string
}

// envRole names the part a child process plays; the test it runs reads its own variables.
const envRole = "OPEN_SSPM_DRILL_ROLE"

// startChild runs test (which must call its part when envRole is role) in a new process with env added.
func startChild(t *testing.T, test, role string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), envRole+"="+role), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		defer close(c.lines)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			c.lines <- s.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return c
}

// await waits (at most a minute) for the child to say line; the child's other lines are logged.
func (c *child) await(t *testing.T, line string) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("the child process ended without saying %q", line)
			}
			if l == line {
				return
			}
			t.Logf("child: %s", l)
		case <-timeout:
			t.Fatalf("the child process did not say %q within a minute", line)
		}
	}
}

// kill sends SIGKILL and waits for the process to end.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the child ended with %v, want killed", err)
	}
}

// say reports a child's progress to its parent.
func say(line string) { fmt.Println(line) }

// hang blocks a child process until its parent kills it (SIGKILL cannot be caught; SIGTERM ends it too).
func hang() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	<-ch
	os.Exit(1)
}

// childClock is the fake clock a child process runs on: the parent's time when it started the child.
func childClock(t *testing.T) *clocktest.Clock {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, os.Getenv("OPEN_SSPM_DRILL_CLOCK"))
	if err != nil {
		t.Fatal(err)
	}
	return clocktest.New(at)
}

func clockEnv(clk *clocktest.Clock) string {
	return "OPEN_SSPM_DRILL_CLOCK=" + clk.Now().Format(time.RFC3339Nano)
}
