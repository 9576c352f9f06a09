package github_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestTokenAuthStillExpiresCredentials: with token auth GitHub answers the fine-grained PAT listings 403 (they
// accept GitHub App tokens only). That makes only the PATs and PAT requests unavailable: a deploy key and an App
// installation removed between runs expire.
func TestTokenAuthStillExpiresCredentials(t *testing.T) {
	t.Parallel()
	le := newLaneEnv(t, newEnv(t, githubsim.Options{}))
	first := le.run(t, "first")
	if first.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("first run: %s %v", first.Outcome, first.Err)
	}
	for _, want := range []string{"credentials[kind=github_pat]", "credentials[kind=github_pat_request]"} {
		if !slices.Contains(first.Run.Unavailable, want) {
			t.Errorf("unavailable %v, want %s (GitHub answers a token 403 there)", first.Run.Unavailable, want)
		}
	}
	if slices.Contains(first.Run.Unavailable, string(sspm.EntityCredentials)) {
		t.Fatalf("unavailable %v: the whole credentials entity", first.Run.Unavailable)
	}
	key, err := le.sim.DeleteDeployKey(le.sim.ReposWithDeployKeys()[0])
	if err != nil {
		t.Fatal(err)
	}
	install := le.sim.Installations()[0]
	if err := le.sim.Uninstall(install); err != nil {
		t.Fatal(err)
	}
	second := le.run(t, "second")
	if second.Outcome != lane.OutcomeSucceeded || second.Expired[sspm.EntityCredentials] != 2 {
		t.Fatalf("second run: %s, expired %v; want the deploy key and the installation expired", second.Outcome, second.Expired)
	}
	live := map[string]bool{}
	rows, err := le.db.Pool().Query(t.Context(), `SELECT external_id FROM credentials WHERE connector_id = $1 AND expired_at IS NULL`, le.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		live[id] = true
	}
	for _, gone := range []string{"deploy_key:" + strconv.FormatInt(key, 10), "installation:" + strconv.FormatInt(install, 10)} {
		if live[gone] {
			t.Errorf("%s is still live", gone)
		}
	}
	if len(live) == 0 {
		t.Error("no credential is live")
	}
}

// TestBasePermissionUnavailableWithoutOwner: a token that is not an organization owner's does not see
// default_repository_permission (the simulator answers GET /orgs/{org} without it, as GitHub does). The run
// stores no base grants, marks them unavailable, keeps the earlier ones and says why in its progress.
func TestBasePermissionUnavailableWithoutOwner(t *testing.T) {
	t.Parallel()
	le := newLaneEnv(t, newEnv(t, githubsim.Options{}))
	baseGrants := func() int {
		var n int
		err := le.db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM grants WHERE connector_id = $1 AND via = 'org_base' AND expired_at IS NULL`, le.conn.ID).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if res := le.run(t, "owner"); res.Outcome != lane.OutcomeSucceeded || slices.Contains(res.Run.Unavailable, "grants[via=org_base]") {
		t.Fatalf("an owner's run: %s, unavailable %v", res.Outcome, res.Run.Unavailable)
	}
	owner := baseGrants()
	if owner != len(le.sim.Repos()) {
		t.Fatalf("an owner's run stored %d base grants, want one per repository (%d)", owner, len(le.sim.Repos()))
	}

	le.sim.SetNotOwner(true)
	d, err := drain(t, le.source(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range d.page.Grants {
		if g.Via == "org_base" {
			t.Fatalf("a base grant without a visible base permission: %+v", g)
		}
	}
	if !slices.ContainsFunc(d.messages, func(m string) bool { return strings.Contains(m, "default_repository_permission not visible") }) {
		t.Errorf("no message about the base permission in %v", d.messages)
	}
	res := le.run(t, "member")
	if res.Outcome != lane.OutcomeSucceeded || !slices.Contains(res.Run.Unavailable, "grants[via=org_base]") {
		t.Fatalf("a non-owner's run: %s, unavailable %v; want grants[via=org_base]", res.Outcome, res.Run.Unavailable)
	}
	if n := baseGrants(); n != owner {
		t.Errorf("after a non-owner's run %d base grants are live, want the %d from before kept", n, owner)
	}
	health, err := le.db.LastFullSync(t.Context(), le.conn.ID)
	if err != nil || !slices.Contains(health.Unavailable, "grants[via=org_base]") {
		t.Errorf("the last full sync records unavailable %v (%v)", health.Unavailable, err)
	}
}
