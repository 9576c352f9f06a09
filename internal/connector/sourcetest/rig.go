package sourcetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// rig is a database, the kind bound to it as the composition root binds it, connectors of simulated tenants
// stored in it, and the lane runner on the fake clock.
type rig struct {
	h       Harness
	clk     *clocktest.Clock
	kind    connector.Kind
	db      *postgres.DB
	tenants map[string]Tenant
	runner  *lane.Runner
	// wrap, when set, wraps every source the runner builds.
	wrap func(sspm.Source) sspm.Source
}

func newRig(t *testing.T, h Harness, clk *clocktest.Clock) *rig {
	t.Helper()
	db := postgrestest.New(t, postgres.WithClock(clk.Now)) // leases and the HTTP cache's eviction on the fake clock
	k := h.Kind(clk)
	kind, err := connector.NewRegistry(k).Bind(connector.Deps{HTTPCache: db}).Lookup(k.Kind)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{h: h, clk: clk, kind: kind, db: db, tenants: map[string]Tenant{}}
	r.runner = &lane.Runner{Store: db, Now: clk.Now, Sleep: clk.Sleep, LeaseTTL: time.Minute, Sources: r.source}
	return r
}

// add stores a connector of tenant tn under id.
func (r *rig) add(t *testing.T, id string, tn Tenant) sspm.Connector {
	t.Helper()
	c := tn.Connector(id)
	if c.Kind != r.kind.Kind {
		t.Fatalf("tenant connector kind %q, the harness builds %q", c.Kind, r.kind.Kind)
	}
	if _, err := r.db.CreateConnector(context.Background(), c, nil, ""); err != nil {
		t.Fatal(err)
	}
	r.tenants[id] = tn
	return c
}

func (r *rig) source(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
	tn, ok := r.tenants[c.ID]
	if !ok {
		return nil, fmt.Errorf("no tenant for connector %s", c.ID)
	}
	src, err := r.kind.NewSource(ctx, c, tn.Secret())
	if err != nil {
		return nil, err
	}
	if r.wrap != nil {
		src = r.wrap(src)
	}
	return src, nil
}

// run runs the full lane of connector id once; deadline zero lets rate-limit waits take as long as asked.
func (r *rig) run(t *testing.T, id, owner string, deadline time.Time) lane.Result {
	t.Helper()
	res, err := r.runner.Run(context.Background(), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: id}, owner, deadline)
	if err != nil {
		t.Fatalf("run %s: %v", owner, err)
	}
	return res
}

// sync runs the full lane and requires it to succeed.
func (r *rig) sync(t *testing.T, id, owner string) lane.Result {
	t.Helper()
	res := r.run(t, id, owner, time.Time{})
	if res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("run %s: %s (%v)", owner, res.Outcome, res.Err)
	}
	return res
}

// reference is the store's state after one uninterrupted full run of tn in a database of its own.
func reference(t *testing.T, h Harness, clk *clocktest.Clock, tn Tenant) snapshot {
	t.Helper()
	ref := newRig(t, h, clk)
	ref.add(t, "reference", tn)
	ref.sync(t, "reference", "reference")
	return ref.snapshot(t, "reference")
}

// snapshot is a connector's live rows: entity → row key → row content (without the sync bookkeeping). Dataset
// rows are under their dataset's entity (sspm.DatasetEntity).
type snapshot map[sspm.Entity]map[string]string

// snapshotQueries select each table's row key and the entity it is listed under.
var snapshotQueries = map[sspm.Entity]string{
	sspm.EntityAccounts:     `external_id, 'accounts'`,
	sspm.EntityGroups:       `external_id, 'groups'`,
	sspm.EntityGroupMembers: `concat_ws('/', group_external_id, member_external_id, member_kind), 'group_members'`,
	sspm.EntityResources:    `external_id, 'resources'`,
	sspm.EntityGrants:       `concat_ws('/', principal_external_id, principal_kind, resource_external_id, permission, via, via_external_id), 'grants'`,
	sspm.EntityCredentials:  `external_id, 'credentials'`,
	sspm.EntityDatasets:     `concat_ws('/', dataset, external_id), 'dataset:' || dataset`,
}

func (r *rig) snapshot(t testing.TB, id string) snapshot {
	t.Helper()
	out := snapshot{}
	for entity, key := range snapshotQueries {
		rows, err := r.db.Pool().Query(context.Background(), `SELECT `+key+`, (to_jsonb(x) - 'id' - 'connector_id' - 'seen_in_run'
			- 'seen_at' - 'first_seen_at' - 'expired_at')::text FROM `+string(entity)+` x WHERE connector_id = $1 AND expired_at IS NULL`, id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k, content string
			var e sspm.Entity
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

func (s snapshot) entities() []sspm.Entity {
	out := slices.Collect(maps.Keys(s))
	slices.Sort(out)
	return out
}

// diff describes how s differs from want (row keys, and row contents when content is set); "" when it does not.
func (s snapshot) diff(want snapshot, content bool) string {
	var out []string
	seen := map[sspm.Entity]bool{}
	for _, e := range append(s.entities(), want.entities()...) {
		if seen[e] {
			continue
		}
		seen[e] = true
		if d := diffRows(s[e], want[e], content); d != "" {
			out = append(out, fmt.Sprintf("%s: %s", e, d))
		}
	}
	return strings.Join(out, "; ")
}

func diffRows(got, want map[string]string, content bool) string {
	var missing, extra, changed []string
	for k, v := range want {
		g, ok := got[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case content && g != v:
			changed = append(changed, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra)+len(changed) == 0 {
		return ""
	}
	return fmt.Sprintf("%d rows (want %d): missing %s, extra %s, changed %s", len(got), len(want), sample(missing), sample(extra), sample(changed))
}

func sample(keys []string) string {
	sort.Strings(keys)
	if len(keys) > 3 {
		return fmt.Sprintf("%v and %d more", keys[:3], len(keys)-3)
	}
	return fmt.Sprint(keys)
}

// stages lists the full lane's stages of the kind, from a source of tn.
func (r *rig) stages(t *testing.T, tn Tenant) []string {
	t.Helper()
	src, err := r.kind.NewSource(context.Background(), tn.Connector("stages"), tn.Secret())
	if err != nil {
		t.Fatal(err)
	}
	return src.Stages(sspm.LaneFull)
}

// drain reads every stage of the full lane from a new source, as one uninterrupted run would, without storing
// it; it returns the rows' keys in the snapshot's form.
func drain(t *testing.T, kind connector.Kind, tn Tenant) map[sspm.Entity]map[string]bool {
	t.Helper()
	out := map[sspm.Entity]map[string]bool{}
	add := func(e sspm.Entity, k string) {
		if out[e] == nil {
			out[e] = map[string]bool{}
		}
		out[e][k] = true
	}
	stepAll(t, kind, tn, sspm.LaneFull, func(p sspm.Page) {
		for _, a := range p.Accounts {
			add(sspm.EntityAccounts, a.ExternalID)
		}
		for _, g := range p.Groups {
			add(sspm.EntityGroups, g.ExternalID)
		}
		for _, m := range p.GroupMembers {
			add(sspm.EntityGroupMembers, strings.Join([]string{m.GroupExternalID, m.MemberExternalID, string(m.MemberKind)}, "/"))
		}
		for _, x := range p.Resources {
			add(sspm.EntityResources, x.ExternalID)
		}
		for _, g := range p.Grants {
			add(sspm.EntityGrants, strings.Join([]string{g.PrincipalExternalID, string(g.PrincipalKind), g.ResourceExternalID, g.Permission, g.Via, g.ViaExternalID}, "/"))
		}
		for _, c := range p.Credentials {
			add(sspm.EntityCredentials, c.ExternalID)
		}
		for _, d := range p.Datasets {
			add(sspm.DatasetEntity(d.Dataset), d.Dataset+"/"+d.ExternalID)
		}
	})
	return out
}

// stepAll reads every stage of the lane from a new source of the tenant, as one uninterrupted run would, without
// storing it: each page goes to page.
func stepAll(t *testing.T, kind connector.Kind, tn Tenant, ln sspm.Lane, page func(sspm.Page)) {
	t.Helper()
	ctx := context.Background()
	src, err := kind.NewSource(ctx, tn.Connector("drain"), tn.Secret())
	if err != nil {
		t.Fatal(err)
	}
	if err := StepAll(ctx, src, ln, nil, nil, func(_ string, res sspm.StepResult) { page(res.Page) }); err != nil {
		t.Fatal(err)
	}
}

func sameKeys(got, want map[sspm.Entity]map[string]bool) string {
	var out []string
	for _, e := range slices.Sorted(maps.Keys(union(got, want))) {
		g, w := map[string]string{}, map[string]string{}
		for k := range got[e] {
			g[k] = ""
		}
		for k := range want[e] {
			w[k] = ""
		}
		if d := diffRows(g, w, false); d != "" {
			out = append(out, fmt.Sprintf("%s: %s", e, d))
		}
	}
	return strings.Join(out, "; ")
}

func union(a, b map[sspm.Entity]map[string]bool) map[sspm.Entity]bool {
	out := map[sspm.Entity]bool{}
	for e := range a {
		out[e] = true
	}
	for e := range b {
		out[e] = true
	}
	return out
}
