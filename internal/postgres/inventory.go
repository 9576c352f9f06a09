package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/errgroup"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// WritePage stores one page of a run: the page's rows with the run's marker, its events (each stored once per
// provider event id), and the run's new state with the page's rows added to its counts. If the caller lost the
// run's lease, nothing is written and the error wraps sspm.ErrLeaseLost. It returns the rows written per entity.
//
// A small page commits in one transaction with its checkpoint. A large one (a first sync's pages of thousands of
// rows) is split in two halves written concurrently on two connections, each holding the lease shared, and the
// checkpoint commits after both: a crash in between leaves rows without their checkpoint, and the resumed run
// reads and upserts the page again, which changes nothing.
func (db *DB) WritePage(ctx context.Context, connectorID string, l sspm.Lease, page *sspm.Page, state sspm.RunState) (map[string]int64, error) {
	if inventoryRows(page) < parallelPageRows || page.Removals() > 0 { // removals see the whole page's rows
		written := map[string]int64{}
		// Rows and checkpoint commit together, so an asynchronous commit is safe: a crash can lose only whole
		// recent pages with their checkpoints, and the run resumes from the last one that was kept.
		err := db.inPageTx(ctx, connectorID, func(q *sqlgen.Queries) error {
			if err := upsertPage(ctx, q, connectorID, l.RunID, page, written); err != nil {
				return err
			}
			if err := expireRunRemovals(ctx, q, connectorID, l.RunID, page, written); err != nil {
				return err
			}
			return db.saveStateWith(ctx, q, connectorID, l, state, written)
		})
		if err != nil {
			return nil, fmt.Errorf("write page of run %d: %w", l.RunID, err)
		}
		return written, nil
	}
	halves := splitPage(page)
	var written [2]map[string]int64
	g, gctx := errgroup.WithContext(ctx)
	for i := range halves {
		written[i] = map[string]int64{}
		g.Go(func() error {
			return db.inPageTx(gctx, connectorID, func(q *sqlgen.Queries) error {
				n, err := q.ShareLease(gctx, sqlgen.ShareLeaseParams{ID: l.RunID, Owner: l.Owner})
				if err != nil {
					return err
				}
				if n == 0 {
					return sspm.ErrLeaseLost
				}
				return upsertPage(gctx, q, connectorID, l.RunID, halves[i], written[i]) // a page with removals never splits
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("write page of run %d: %w", l.RunID, err)
	}
	for k, n := range written[1] {
		written[0][k] += n
	}
	err := db.inAsyncTx(ctx, func(q *sqlgen.Queries) error {
		return db.saveStateWith(ctx, q, connectorID, l, state, written[0])
	})
	if err != nil {
		return nil, fmt.Errorf("write page of run %d: %w", l.RunID, err)
	}
	return written[0], nil
}

// inPageTx is inAsyncTx for the rows of a connector's page: the same round trip that makes the commit
// asynchronous tells the access history triggers whether the connector is still in its baseline, so that a
// first sync fires none of them (migration 00161).
func (db *DB) inPageTx(ctx context.Context, connectorID string, fn func(q *sqlgen.Queries) error) error {
	return db.inTx(ctx, func(q *sqlgen.Queries) error {
		if err := q.AsyncPageCommit(ctx, connectorID); err != nil {
			return err
		}
		return fn(q)
	})
}

// parallelPageRows is the inventory size from which a page is written in two halves.
const parallelPageRows = 4000

func inventoryRows(p *sspm.Page) int {
	return len(p.Accounts) + len(p.Groups) + len(p.GroupMembers) + len(p.Resources) + len(p.Grants) + len(p.Credentials)
}

// splitPage halves a page's inventory; everything else (events, ...) goes with the first half. A page with
// removals is never split (WritePage).
func splitPage(p *sspm.Page) [2]*sspm.Page {
	a, b := *p, sspm.Page{}
	a.Accounts, b.Accounts = halve(p.Accounts)
	a.Groups, b.Groups = halve(p.Groups)
	a.GroupMembers, b.GroupMembers = halve(p.GroupMembers)
	a.Resources, b.Resources = halve(p.Resources)
	a.Grants, b.Grants = halve(p.Grants)
	a.Credentials, b.Credentials = halve(p.Credentials)
	return [2]*sspm.Page{&a, &b}
}

func halve[T any](s []T) ([]T, []T) { return s[:len(s)/2], s[len(s)/2:] }

// saveStateWith saves the run's state with the page's written rows added to its counts (checking the lease: a
// lost lease rolls the transaction back) and, when the stage ended, its watermark.
func (db *DB) saveStateWith(ctx context.Context, q *sqlgen.Queries, connectorID string, l sspm.Lease, state sspm.RunState, written map[string]int64) error {
	counts := make(map[string]int64, len(state.Counts)+len(written))
	for k, n := range state.Counts {
		counts[k] = n
	}
	for k, n := range written {
		counts[k] += n
	}
	state.Counts = counts
	if err := db.saveState(ctx, q, l, state); err != nil {
		return err
	}
	if w := state.Watermark; w != nil {
		return q.SaveWatermark(ctx, sqlgen.SaveWatermarkParams{ConnectorID: connectorID, Lane: string(w.Lane), Stage: w.Stage, Watermark: w.Value})
	}
	return nil
}

// expireRunRemovals expires a run page's removals after its rows, as the run's changes; written counts the rows
// expired under "removed".
func expireRunRemovals(ctx context.Context, q *sqlgen.Queries, connectorID string, runID int64, p *sspm.Page, written map[string]int64) error {
	if p.Removals() == 0 {
		return nil
	}
	if err := setChangeCause(ctx, q, ChangeCause{RunID: runID}); err != nil { // the expired rows were seen by earlier runs
		return err
	}
	n, err := expireRemoved(ctx, q, connectorID, p)
	if err != nil {
		return err
	}
	written["removed"] += n
	return nil
}

// expireRemoved expires the live rows a page's removals name (sspm.Page), and returns how many it expired:
// accounts and groups with their memberships and the grants they hold (and, for groups, the grants that came
// through them), resources with the grants on them, the memberships, grants and credentials named.
func expireRemoved(ctx context.Context, q *sqlgen.Queries, connectorID string, page *sspm.Page) (int64, error) {
	var total int64
	add := func(what string, n int64, err error) error {
		if err != nil {
			return fmt.Errorf("expire removed %s: %w", what, err)
		}
		total += n
		return nil
	}
	accounts, groups := nonNil(page.RemovedAccounts), nonNil(page.RemovedGroups)
	if n := len(page.RemovedMembers); n > 0 {
		p := sqlgen.ExpireRemovedMembersParams{ConnectorID: connectorID, GroupExternalIds: make([]string, n),
			MemberExternalIds: make([]string, n), MemberKinds: make([]string, n)}
		for i, m := range page.RemovedMembers {
			kind := m.MemberKind
			if kind == "" {
				kind = sspm.MemberAccount
			}
			p.GroupExternalIds[i], p.MemberExternalIds[i], p.MemberKinds[i] = m.GroupExternalID, m.MemberExternalID, string(kind)
		}
		n, err := q.ExpireRemovedMembers(ctx, p)
		if err := add("memberships", n, err); err != nil {
			return 0, err
		}
	}
	if len(accounts)+len(groups) > 0 {
		n, err := q.ExpireMembershipsOfRemoved(ctx, sqlgen.ExpireMembershipsOfRemovedParams{ConnectorID: connectorID,
			Members: append(append([]string{}, accounts...), groups...), Accounts: accounts, Groups: groups})
		if err := add("memberships", n, err); err != nil {
			return 0, err
		}
		held := sqlgen.ExpireGrantsHeldByRemovedParams{ConnectorID: connectorID}
		for _, a := range accounts {
			held.PrincipalExternalIds, held.PrincipalKinds = append(held.PrincipalExternalIds, a), append(held.PrincipalKinds, string(sspm.MemberAccount))
		}
		for _, g := range groups {
			held.PrincipalExternalIds, held.PrincipalKinds = append(held.PrincipalExternalIds, g), append(held.PrincipalKinds, string(sspm.MemberGroup))
		}
		n, err = q.ExpireGrantsHeldByRemoved(ctx, held)
		if err := add("grants", n, err); err != nil {
			return 0, err
		}
	}
	if len(groups) > 0 {
		n, err := q.ExpireGrantsViaRemovedGroups(ctx, sqlgen.ExpireGrantsViaRemovedGroupsParams{ConnectorID: connectorID, Groups: groups})
		if err := add("grants", n, err); err != nil {
			return 0, err
		}
		n, err = q.ExpireRemovedGroups(ctx, sqlgen.ExpireRemovedGroupsParams{ConnectorID: connectorID, ExternalIds: groups})
		if err := add("groups", n, err); err != nil {
			return 0, err
		}
	}
	if resources := nonNil(page.RemovedResources); len(resources) > 0 {
		n, err := q.ExpireGrantsOnRemovedResources(ctx, sqlgen.ExpireGrantsOnRemovedResourcesParams{ConnectorID: connectorID, Resources: resources})
		if err := add("grants", n, err); err != nil {
			return 0, err
		}
		n, err = q.ExpireRemovedResources(ctx, sqlgen.ExpireRemovedResourcesParams{ConnectorID: connectorID, ExternalIds: resources})
		if err := add("resources", n, err); err != nil {
			return 0, err
		}
	}
	if len(accounts) > 0 {
		n, err := q.ExpireRemovedAccounts(ctx, sqlgen.ExpireRemovedAccountsParams{ConnectorID: connectorID, ExternalIds: accounts})
		if err := add("accounts", n, err); err != nil {
			return 0, err
		}
	}
	if n := len(page.RevokedGrants); n > 0 {
		p := sqlgen.ExpireRevokedGrantsParams{ConnectorID: connectorID, PrincipalExternalIds: make([]string, n),
			ResourceExternalIds: make([]string, n), Permissions: make([]string, n)}
		for i, g := range page.RevokedGrants {
			p.PrincipalExternalIds[i], p.ResourceExternalIds[i], p.Permissions[i] = g.PrincipalExternalID, g.ResourceExternalID, g.Permission
		}
		p.Kept = []string{}
		for _, g := range page.Grants { // a revocation never expires what the same page grants
			kind, via := cmp.Or(g.PrincipalKind, sspm.MemberAccount), cmp.Or(g.Via, "direct")
			p.Kept = append(p.Kept, strings.Join([]string{g.PrincipalExternalID, string(kind), g.ResourceExternalID,
				g.Permission, via, g.ViaExternalID}, "\x1f"))
		}
		n, err := q.ExpireRevokedGrants(ctx, p)
		if err := add("grants", n, err); err != nil {
			return 0, err
		}
	}
	if len(page.RevokedCredentials) > 0 {
		ids := make([]string, len(page.RevokedCredentials))
		for i, c := range page.RevokedCredentials {
			ids[i] = c.ExternalID
		}
		n, err := q.ExpireRevokedCredentials(ctx, sqlgen.ExpireRevokedCredentialsParams{ConnectorID: connectorID, ExternalIds: ids})
		if err := add("credentials", n, err); err != nil {
			return 0, err
		}
	}
	return total, nil
}

func upsertPage(ctx context.Context, q *sqlgen.Queries, connectorID string, runID int64, p *sspm.Page, written map[string]int64) error {
	for _, rows := range rawChunks(p.Accounts, func(a *sspm.Account) int { return len(a.Raw) }) {
		n, err := q.UpsertAccounts(ctx, accountParams(connectorID, runID, rows))
		if err != nil {
			return fmt.Errorf("upsert accounts: %w", err)
		}
		written[string(sspm.EntityAccounts)] += n
	}
	for _, rows := range rawChunks(p.Groups, func(g *sspm.Group) int { return len(g.Raw) }) {
		n, err := q.UpsertGroups(ctx, groupParams(connectorID, runID, rows))
		if err != nil {
			return fmt.Errorf("upsert groups: %w", err)
		}
		written[string(sspm.EntityGroups)] += n
	}
	if len(p.GroupMembers) > 0 {
		n, err := q.UpsertGroupMembers(ctx, memberParams(connectorID, runID, p.GroupMembers))
		if err != nil {
			return fmt.Errorf("upsert group members: %w", err)
		}
		written[string(sspm.EntityGroupMembers)] += n
	}
	for _, rows := range rawChunks(p.Resources, func(r *sspm.Resource) int { return len(r.Raw) }) {
		n, err := q.UpsertResources(ctx, resourceParams(connectorID, runID, rows))
		if err != nil {
			return fmt.Errorf("upsert resources: %w", err)
		}
		written[string(sspm.EntityResources)] += n
	}
	if len(p.Grants) > 0 {
		n, err := q.UpsertGrants(ctx, grantParams(connectorID, runID, p.Grants))
		if err != nil {
			return fmt.Errorf("upsert grants: %w", err)
		}
		written[string(sspm.EntityGrants)] += n
	}
	for _, rows := range rawChunks(p.Credentials, func(c *sspm.Credential) int { return len(c.Raw) }) {
		n, err := q.UpsertCredentials(ctx, credentialParams(connectorID, runID, rows))
		if err != nil {
			return fmt.Errorf("upsert credentials: %w", err)
		}
		written[string(sspm.EntityCredentials)] += n
	}
	for _, rows := range rawChunks(p.Datasets, func(d *sspm.DatasetRow) int { return len(d.Raw) }) {
		n, err := q.UpsertDatasets(ctx, datasetParams(connectorID, runID, rows))
		if err != nil {
			return fmt.Errorf("upsert datasets: %w", err)
		}
		written[string(sspm.EntityDatasets)] += n
	}
	if len(p.Evidence) > 0 {
		params, err := evidenceParams(connectorID, p.Evidence)
		if err != nil {
			return err
		}
		n, err := q.UpsertEvidence(ctx, params)
		if err != nil {
			return fmt.Errorf("upsert evidence: %w", err)
		}
		written["evidence"] += n
	}
	if len(p.MFA) > 0 {
		rows := dedupe(p.MFA, func(m *sspm.MFAStatus) string { return m.AccountExternalID })
		params := sqlgen.UpdateMFAParams{ConnectorID: connectorID, ExternalIds: make([]string, len(rows)),
			Enrolled: make([]bool, len(rows)), Factors: make([]string, len(rows))}
		for i, m := range rows {
			params.ExternalIds[i], params.Enrolled[i], params.Factors[i] = m.AccountExternalID, m.Enrolled, strings.Join(m.Factors, " ")
		}
		n, err := q.UpdateMFA(ctx, params)
		if err != nil {
			return fmt.Errorf("update mfa: %w", err)
		}
		written["mfa"] += n
	}
	if len(p.Events) > 0 {
		n, err := insertEvents(ctx, q, connectorID, p.Events)
		if err != nil {
			return err
		}
		written["events"] += n
	}
	return nil
}

// maxStatementRaw bounds the raw JSON one upsert statement carries. pgx encodes a statement's parameters into one
// buffer that grows by doubling, so a page of 10,000 Okta groups (about 15 MB of raw JSON) written in one
// statement held twice that at once; in statements of at most 1 MiB the page costs the same round trips per row
// and the sync's peak memory no longer follows the provider's page size (#12).
const maxStatementRaw = 1 << 20

// rawChunks splits rows into consecutive runs whose raw JSON adds up to at most maxStatementRaw (at least one row
// each). A row repeated in two runs is upserted twice, the later one winning, as within one statement.
func rawChunks[T any](rows []T, raw func(*T) int) [][]T {
	var out [][]T
	start, size := 0, 0
	for i := range rows {
		n := raw(&rows[i])
		if i > start && size+n > maxStatementRaw {
			out = append(out, rows[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(rows) {
		out = append(out, rows[start:])
	}
	return out
}

// dedupe keeps the last row of each key: one statement cannot upsert the same row twice.
func dedupe[T any](rows []T, key func(*T) string) []T {
	seen := make(map[string]int, len(rows))
	out := rows[:0:0]
	for i := range rows {
		k := key(&rows[i])
		if j, ok := seen[k]; ok {
			out[j] = rows[i]
			continue
		}
		seen[k] = len(out)
		out = append(out, rows[i])
	}
	return out
}

func rawOrEmpty(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage(`{}`)
	}
	return r
}

func accountParams(connectorID string, runID int64, rows []sspm.Account) sqlgen.UpsertAccountsParams {
	rows = dedupe(rows, func(a *sspm.Account) string { return a.ExternalID })
	p := sqlgen.UpsertAccountsParams{
		ConnectorID: connectorID, RunID: runID,
		ExternalIds: make([]string, len(rows)), Kinds: make([]string, len(rows)), Emails: make([]string, len(rows)),
		Usernames: make([]string, len(rows)), DisplayNames: make([]string, len(rows)), Statuses: make([]string, len(rows)),
		Actives: make([]bool, len(rows)), LastLogins: make([]pgtype.Timestamptz, len(rows)), Mfas: make([]string, len(rows)),
		Admins: make([]bool, len(rows)), Raws: make([]json.RawMessage, len(rows)),
	}
	for i, a := range rows {
		p.ExternalIds[i], p.Kinds[i], p.Emails[i] = a.ExternalID, string(a.Kind), strings.TrimSpace(a.Email)
		p.Usernames[i], p.DisplayNames[i], p.Statuses[i] = a.Username, a.DisplayName, strings.ToLower(a.Status) // one case: Okta's ACTIVE, GitHub's active
		p.Actives[i], p.LastLogins[i], p.Admins[i], p.Raws[i] = a.Active, ts(a.LastLoginAt), a.IsAdmin, rawOrEmpty(a.Raw)
		if a.MFAEnrolled != nil {
			p.Mfas[i] = fmt.Sprint(*a.MFAEnrolled)
		}
	}
	return p
}

func groupParams(connectorID string, runID int64, rows []sspm.Group) sqlgen.UpsertGroupsParams {
	rows = dedupe(rows, func(g *sspm.Group) string { return g.ExternalID })
	p := sqlgen.UpsertGroupsParams{
		ConnectorID: connectorID, RunID: runID,
		ExternalIds: make([]string, len(rows)), Kinds: make([]string, len(rows)), Names: make([]string, len(rows)),
		Descriptions: make([]string, len(rows)), Raws: make([]json.RawMessage, len(rows)),
	}
	for i, g := range rows {
		kind := g.Kind
		if kind == "" {
			kind = "group"
		}
		p.ExternalIds[i], p.Kinds[i], p.Names[i], p.Descriptions[i], p.Raws[i] = g.ExternalID, kind, g.Name, g.Description, rawOrEmpty(g.Raw)
	}
	return p
}

func memberParams(connectorID string, runID int64, rows []sspm.GroupMember) sqlgen.UpsertGroupMembersParams {
	rows = dedupe(rows, func(m *sspm.GroupMember) string {
		return m.GroupExternalID + "\x00" + m.MemberExternalID + "\x00" + string(m.MemberKind)
	})
	p := sqlgen.UpsertGroupMembersParams{
		ConnectorID: connectorID, RunID: runID,
		GroupExternalIds: make([]string, len(rows)), MemberExternalIds: make([]string, len(rows)),
		MemberKinds: make([]string, len(rows)), Roles: make([]string, len(rows)),
	}
	for i, m := range rows {
		kind, role := m.MemberKind, m.Role
		if kind == "" {
			kind = sspm.MemberAccount
		}
		if role == "" {
			role = "member"
		}
		p.GroupExternalIds[i], p.MemberExternalIds[i], p.MemberKinds[i], p.Roles[i] = m.GroupExternalID, m.MemberExternalID, string(kind), role
	}
	return p
}

func resourceParams(connectorID string, runID int64, rows []sspm.Resource) sqlgen.UpsertResourcesParams {
	rows = dedupe(rows, func(r *sspm.Resource) string { return r.ExternalID })
	p := sqlgen.UpsertResourcesParams{
		ConnectorID: connectorID, RunID: runID,
		ExternalIds: make([]string, len(rows)), Kinds: make([]string, len(rows)), Names: make([]string, len(rows)),
		Urls: make([]string, len(rows)), Raws: make([]json.RawMessage, len(rows)),
	}
	for i, r := range rows {
		p.ExternalIds[i], p.Kinds[i], p.Names[i], p.Urls[i], p.Raws[i] = r.ExternalID, r.Kind, r.Name, r.URL, rawOrEmpty(r.Raw)
	}
	return p
}

func grantParams(connectorID string, runID int64, rows []sspm.Grant) sqlgen.UpsertGrantsParams {
	for i := range rows {
		if rows[i].PrincipalKind == "" {
			rows[i].PrincipalKind = sspm.MemberAccount
		}
		if rows[i].Via == "" {
			rows[i].Via = "direct"
		}
	}
	rows = dedupe(rows, func(g *sspm.Grant) string {
		return strings.Join([]string{g.PrincipalExternalID, string(g.PrincipalKind), g.ResourceExternalID, g.Permission, g.Via, g.ViaExternalID}, "\x00")
	})
	p := sqlgen.UpsertGrantsParams{
		ConnectorID: connectorID, RunID: runID,
		PrincipalExternalIds: make([]string, len(rows)), PrincipalKinds: make([]string, len(rows)),
		ResourceExternalIds: make([]string, len(rows)), Permissions: make([]string, len(rows)),
		Vias: make([]string, len(rows)), ViaExternalIds: make([]string, len(rows)),
	}
	for i, g := range rows {
		p.PrincipalExternalIds[i], p.PrincipalKinds[i], p.ResourceExternalIds[i] = g.PrincipalExternalID, string(g.PrincipalKind), g.ResourceExternalID
		p.Permissions[i], p.Vias[i], p.ViaExternalIds[i] = g.Permission, g.Via, g.ViaExternalID
	}
	return p
}

func credentialParams(connectorID string, runID int64, rows []sspm.Credential) sqlgen.UpsertCredentialsParams {
	rows = dedupe(rows, func(c *sspm.Credential) string { return c.ExternalID })
	p := sqlgen.UpsertCredentialsParams{
		ConnectorID: connectorID, RunID: runID,
		ExternalIds: make([]string, len(rows)), Kinds: make([]string, len(rows)), Names: make([]string, len(rows)),
		OwnerExternalIds: make([]string, len(rows)), Scopes: make([]string, len(rows)),
		CreatedAts: make([]pgtype.Timestamptz, len(rows)), ExpiresAts: make([]pgtype.Timestamptz, len(rows)),
		LastUsedAts: make([]pgtype.Timestamptz, len(rows)), Raws: make([]json.RawMessage, len(rows)),
	}
	for i, c := range rows {
		p.ExternalIds[i], p.Kinds[i], p.Names[i], p.OwnerExternalIds[i] = c.ExternalID, c.Kind, c.Name, c.OwnerExternalID
		p.Scopes[i] = strings.Join(c.Scopes, " ")
		p.CreatedAts[i], p.ExpiresAts[i], p.LastUsedAts[i], p.Raws[i] = ts(c.CreatedAt), ts(c.ExpiresAt), ts(c.LastUsedAt), rawOrEmpty(c.Raw)
	}
	return p
}

func datasetParams(connectorID string, runID int64, rows []sspm.DatasetRow) sqlgen.UpsertDatasetsParams {
	rows = dedupe(rows, func(d *sspm.DatasetRow) string { return d.Dataset + "\x00" + d.ExternalID })
	p := sqlgen.UpsertDatasetsParams{
		ConnectorID: connectorID, RunID: runID, Datasets: make([]string, len(rows)),
		ExternalIds: make([]string, len(rows)), Raws: make([]json.RawMessage, len(rows)),
	}
	for i, d := range rows {
		p.Datasets[i], p.ExternalIds[i], p.Raws[i] = d.Dataset, d.ExternalID, rawOrEmpty(d.Raw)
	}
	return p
}

// evidenceParams aggregates a page's evidence per (kind, app, actor): one row with the count, the first and last
// time, the union of scopes and the newest event. The app is the evidence's canonical key (the lane runner sets
// it): evidence without one is refused, since the store cannot tell which discovered app it belongs to.
func evidenceParams(connectorID string, rows []sspm.Evidence) (sqlgen.UpsertEvidenceParams, error) {
	type agg struct {
		e           sspm.Evidence
		first, last time.Time
		n           int64
		scopes      map[string]bool
	}
	byKey := map[string]*agg{}
	var order []string
	for _, e := range rows {
		if e.AppKey == "" {
			return sqlgen.UpsertEvidenceParams{}, sspm.Errorf(sspm.CodeInvalid, "evidence of app %q (%s) has no canonical app key", e.AppName, e.AppID)
		}
		appKey, actorKey := e.AppKey, EvidenceActorKey(e)
		k := e.Kind + "\x00" + appKey + "\x00" + actorKey
		a, ok := byKey[k]
		if !ok {
			a = &agg{e: e, first: e.OccurredAt, last: e.OccurredAt, scopes: map[string]bool{}}
			byKey[k] = a
			order = append(order, k)
		}
		a.n++
		if e.OccurredAt.Before(a.first) {
			a.first = e.OccurredAt
		}
		if !e.OccurredAt.Before(a.last) {
			a.last, a.e.SourceEvent = e.OccurredAt, e.SourceEvent
		}
		for _, s := range e.Scopes {
			a.scopes[s] = true
		}
	}
	n := len(order)
	p := sqlgen.UpsertEvidenceParams{
		ConnectorID: connectorID, Kinds: make([]string, n), AppKeys: make([]string, n), AppIds: make([]string, n),
		AppNames: make([]string, n), Domains: make([]string, n), ActorKeys: make([]string, n), ActorIds: make([]string, n),
		ActorEmails: make([]string, n), Scopes: make([]string, n), Occurrences: make([]int64, n),
		FirstSeenAts: make([]pgtype.Timestamptz, n), LastSeenAts: make([]pgtype.Timestamptz, n), LastEventIds: make([]string, n),
	}
	for i, k := range order {
		a := byKey[k]
		scopes := make([]string, 0, len(a.scopes))
		for s := range a.scopes {
			scopes = append(scopes, s)
		}
		sort.Strings(scopes)
		p.Kinds[i], p.AppKeys[i], p.AppIds[i], p.AppNames[i] = a.e.Kind, a.e.AppKey, a.e.AppID, a.e.AppName
		p.Domains[i], p.ActorKeys[i], p.ActorIds[i] = strings.ToLower(a.e.Domain), EvidenceActorKey(a.e), a.e.ActorID
		p.ActorEmails[i], p.Scopes[i], p.Occurrences[i] = strings.ToLower(a.e.ActorEmail), strings.Join(scopes, " "), a.n
		p.FirstSeenAts[i], p.LastSeenAts[i], p.LastEventIds[i] = ts(a.first), ts(a.last), a.e.SourceEvent
	}
	return p, nil
}

// EvidenceActorKey is the actor evidence is de-duplicated under: the actor id, else the lower-cased email.
func EvidenceActorKey(e sspm.Evidence) string {
	if e.ActorID != "" {
		return "id:" + e.ActorID
	}
	return "email:" + strings.ToLower(e.ActorEmail)
}

// DatasetRows lists a connector's live rows of one dataset.
func (db *DB) DatasetRows(ctx context.Context, connectorID, dataset string) ([]sspm.DatasetRow, error) {
	rows, err := db.q.ListDatasetRows(ctx, sqlgen.ListDatasetRowsParams{ConnectorID: connectorID, Dataset: dataset})
	if err != nil {
		return nil, fmt.Errorf("list dataset %s of %s: %w", dataset, connectorID, err)
	}
	out := make([]sspm.DatasetRow, len(rows))
	for i, r := range rows {
		out[i] = sspm.DatasetRow{Dataset: r.Dataset, ExternalID: r.ExternalID, Raw: r.Raw}
	}
	return out, nil
}

// Watermark returns where a lane's stage continues in its next run ("" when never saved).
func (db *DB) Watermark(ctx context.Context, connectorID string, lane sspm.Lane, stage string) (string, error) {
	w, err := db.q.GetWatermark(ctx, sqlgen.GetWatermarkParams{ConnectorID: connectorID, Lane: string(lane), Stage: stage})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("watermark of %s/%s/%s: %w", connectorID, lane, stage, err)
	}
	return w, nil
}

// Counts returns the live rows of a connector per entity.
func (db *DB) Counts(ctx context.Context, connectorID string) (map[sspm.Entity]int64, error) {
	r, err := db.q.CountLive(ctx, connectorID)
	if err != nil {
		return nil, fmt.Errorf("count live rows of %s: %w", connectorID, err)
	}
	return map[sspm.Entity]int64{
		sspm.EntityAccounts: r.Accounts, sspm.EntityGroups: r.Groups, sspm.EntityGroupMembers: r.GroupMembers,
		sspm.EntityResources: r.Resources, sspm.EntityGrants: r.Grants, sspm.EntityCredentials: r.Credentials,
	}, nil
}

// LiveAccounts lists up to limit live accounts of a connector, ordered by external id.
func (db *DB) LiveAccounts(ctx context.Context, connectorID string, limit int) ([]sspm.Account, error) {
	rows, err := db.q.ListLiveAccounts(ctx, sqlgen.ListLiveAccountsParams{ConnectorID: connectorID, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list accounts of %s: %w", connectorID, err)
	}
	out := make([]sspm.Account, 0, len(rows))
	for _, r := range rows {
		out = append(out, sspm.Account{
			ExternalID: r.ExternalID, Kind: sspm.AccountKind(r.Kind), Email: r.Email, Username: r.Username,
			DisplayName: r.DisplayName, Status: r.Status, Active: r.Active, LastLoginAt: fromTS(r.LastLoginAt),
			MFAEnrolled: boolPtr(r.MfaEnrolled), IsAdmin: r.IsAdmin,
		})
	}
	return out, nil
}

func boolPtr(b pgtype.Bool) *bool {
	if !b.Valid {
		return nil
	}
	return &b.Bool
}
