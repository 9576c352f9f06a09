package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// StartRun starts a run of lane for a connector, or takes over the running one when its lease is free (released
// at the end of an invocation's time budget, or expired after a crash); resumed says which. While another
// invocation holds the lease it returns sspm.ErrBusy.
func (db *DB) StartRun(ctx context.Context, connectorID string, lane sspm.Lane, trigger sspm.Trigger, owner string, ttl time.Duration) (run sspm.SyncRun, lease sspm.Lease, resumed bool, err error) {
	err = db.inTx(ctx, func(q *sqlgen.Queries) error {
		row, err := q.GetRunningRunForUpdate(ctx, sqlgen.GetRunningRunForUpdateParams{ConnectorID: connectorID, Lane: string(lane)})
		switch {
		case err == nil:
			if row.LeaseOwner.Valid && row.LeaseExpiresAt.Valid && row.LeaseExpiresAt.Time.After(db.goNow()) {
				return sspm.ErrBusy
			}
			row, err = q.ClaimRun(ctx, sqlgen.ClaimRunParams{ID: row.ID, Owner: owner, LeaseSeconds: ttl.Seconds(), ClockNow: db.clock()})
			if errors.Is(err, pgx.ErrNoRows) {
				return sspm.ErrBusy
			}
			if err != nil {
				return fmt.Errorf("claim run %d: %w", row.ID, err)
			}
			resumed = true
		case errors.Is(err, pgx.ErrNoRows):
			row, err = q.InsertRun(ctx, sqlgen.InsertRunParams{
				ConnectorID: connectorID, Lane: string(lane), Trigger: string(trigger), Owner: owner, LeaseSeconds: ttl.Seconds(),
				ClockNow: db.clock(),
			})
			if errors.Is(err, pgx.ErrNoRows) {
				return sspm.ErrBusy
			}
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23503" {
				return fmt.Errorf("connector %s: %w", connectorID, sspm.ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("insert run: %w", err)
			}
		default:
			return fmt.Errorf("find running run: %w", err)
		}
		if err := q.EnsureSchedule(ctx, sqlgen.EnsureScheduleParams{ConnectorID: connectorID, Lane: string(lane)}); err != nil {
			return fmt.Errorf("ensure schedule: %w", err)
		}
		run, err = runFromRow(row)
		return err
	})
	if err != nil {
		return sspm.SyncRun{}, sspm.Lease{}, false, fmt.Errorf("start %s run of %s: %w", lane, connectorID, err)
	}
	return run, sspm.Lease{RunID: run.ID, Owner: owner, TTL: ttl, StartedAt: run.StartedAt}, resumed, nil
}

func (db *DB) saveState(ctx context.Context, q *sqlgen.Queries, l sspm.Lease, s sspm.RunState) error {
	cp, err := json.Marshal(s.Checkpoint)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	counts, err := json.Marshal(s.Counts)
	if err != nil {
		return fmt.Errorf("encode counts: %w", err)
	}
	progress, err := json.Marshal(s.Progress)
	if err != nil {
		return fmt.Errorf("encode progress: %w", err)
	}
	n, err := q.SaveCheckpoint(ctx, sqlgen.SaveCheckpointParams{
		ID: l.RunID, Owner: l.Owner, Checkpoint: cp, Counts: counts, Progress: progress,
		Unavailable: nonNil(s.Unavailable), LeaseSeconds: l.TTL.Seconds(), ClockNow: db.clock(),
	})
	if err != nil {
		return fmt.Errorf("save checkpoint of run %d: %w", l.RunID, err)
	}
	if n == 0 {
		return fmt.Errorf("save checkpoint of run %d: %w", l.RunID, sspm.ErrLeaseLost)
	}
	return nil
}

// SaveRunState saves a run's checkpoint and progress and extends its lease.
func (db *DB) SaveRunState(ctx context.Context, l sspm.Lease, s sspm.RunState) error {
	return db.saveState(ctx, db.q, l, s)
}

// Heartbeat extends a run's lease; sspm.ErrLeaseLost when the caller no longer holds it.
func (db *DB) Heartbeat(ctx context.Context, l sspm.Lease) error {
	n, err := db.q.Heartbeat(ctx, sqlgen.HeartbeatParams{ID: l.RunID, Owner: l.Owner, LeaseSeconds: l.TTL.Seconds(), ClockNow: db.clock()})
	if err != nil {
		return fmt.Errorf("heartbeat run %d: %w", l.RunID, err)
	}
	if n == 0 {
		return fmt.Errorf("heartbeat run %d: %w", l.RunID, sspm.ErrLeaseLost)
	}
	return nil
}

// ReleaseRun gives up the lease of a run that stays running, so the next invocation continues it at once.
func (db *DB) ReleaseRun(ctx context.Context, l sspm.Lease) error {
	n, err := db.q.ReleaseLease(ctx, sqlgen.ReleaseLeaseParams{ID: l.RunID, Owner: l.Owner, ClockNow: db.clock()})
	if err != nil {
		return fmt.Errorf("release run %d: %w", l.RunID, err)
	}
	if n == 0 {
		return fmt.Errorf("release run %d: %w", l.RunID, sspm.ErrLeaseLost)
	}
	return nil
}

// PauseRun gives up the lease of a run that waits for a provider's rate limit: it stays running with its
// checkpoint, shows p as its progress, and is not continued (Due) before resumeAt.
func (db *DB) PauseRun(ctx context.Context, l sspm.Lease, p sspm.Progress, resumeAt time.Time) error {
	progress, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode progress: %w", err)
	}
	n, err := db.q.PauseRun(ctx, sqlgen.PauseRunParams{ID: l.RunID, Owner: l.Owner, Progress: progress, ResumeAt: ts(resumeAt), ClockNow: db.clock()})
	if err != nil {
		return fmt.Errorf("pause run %d: %w", l.RunID, err)
	}
	if n == 0 {
		return fmt.Errorf("pause run %d: %w", l.RunID, sspm.ErrLeaseLost)
	}
	return nil
}

// FinishRun closes a run the caller holds: in one transaction it expires the rows the run did not see (for
// the entities in o.Sweep), records the status and error, and records the outcome in the lane's schedule.
// It returns the number of rows expired per entity.
func (db *DB) FinishRun(ctx context.Context, connectorID string, lane sspm.Lane, l sspm.Lease, o sspm.RunOutcome) (map[sspm.Entity]int64, error) {
	expired := map[sspm.Entity]int64{}
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		if o.Status == sspm.RunSucceeded {
			if err := setChangeCause(ctx, q, ChangeCause{RunID: l.RunID}); err != nil { // the sweep's changes are the run's
				return err
			}
			kept := nonNil(o.KeepDatasets)
			for _, e := range o.Sweep {
				scopes, err := keptScopes(o.Keep[e])
				if err != nil {
					return fmt.Errorf("expire %s: %w", e, err)
				}
				n, err := expire(ctx, q, e, connectorID, l, kept, scopes)
				if err != nil {
					return fmt.Errorf("expire %s: %w", e, err)
				}
				expired[e] = n
			}
		}
		n, err := q.FinishRun(ctx, sqlgen.FinishRunParams{
			ID: l.RunID, Owner: l.Owner, Status: string(o.Status), ErrorKind: o.ErrorKind, ErrorText: o.ErrorText,
			ClockNow: db.clock(),
		})
		if err != nil {
			return fmt.Errorf("finish run: %w", err)
		}
		if n == 0 {
			return sspm.ErrLeaseLost
		}
		return q.RecordRunOutcome(ctx, sqlgen.RecordRunOutcomeParams{
			ConnectorID: connectorID, Lane: string(lane), Status: string(o.Status), RunID: l.RunID,
			NextDueAt: ts(o.NextDueAt), ConsecutiveFailures: int32(o.ConsecutiveFailures), ClockNow: db.clock(),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("finish run %d: %w", l.RunID, err)
	}
	return expired, nil
}

// keptScopes encodes scopes (column → value) as the JSON objects the sweep queries keep the rows of.
func keptScopes(scopes []map[string]string) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	for _, s := range scopes {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("encode scope: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

func expire(ctx context.Context, q *sqlgen.Queries, e sspm.Entity, connectorID string, l sspm.Lease, keptDatasets []string, kept []json.RawMessage) (int64, error) {
	started := ts(l.StartedAt)
	switch e {
	case sspm.EntityAccounts:
		return q.ExpireAccounts(ctx, sqlgen.ExpireAccountsParams{ConnectorID: connectorID, RunID: l.RunID, RunStartedAt: started, Kept: kept})
	case sspm.EntityGroups:
		return q.ExpireGroups(ctx, sqlgen.ExpireGroupsParams{ConnectorID: connectorID, RunID: l.RunID, RunStartedAt: started, Kept: kept})
	case sspm.EntityGroupMembers:
		return q.ExpireGroupMembers(ctx, sqlgen.ExpireGroupMembersParams{ConnectorID: connectorID, RunID: l.RunID, RunStartedAt: started, Kept: kept})
	case sspm.EntityResources:
		return q.ExpireResources(ctx, sqlgen.ExpireResourcesParams{ConnectorID: connectorID, RunID: l.RunID, RunStartedAt: started, Kept: kept})
	case sspm.EntityGrants:
		return q.ExpireGrants(ctx, sqlgen.ExpireGrantsParams{ConnectorID: connectorID, RunID: l.RunID, RunStartedAt: started, Kept: kept})
	case sspm.EntityCredentials:
		return q.ExpireCredentials(ctx, sqlgen.ExpireCredentialsParams{ConnectorID: connectorID, RunID: l.RunID, RunStartedAt: started, Kept: kept})
	case sspm.EntityDatasets:
		return q.ExpireDatasets(ctx, sqlgen.ExpireDatasetsParams{ConnectorID: connectorID, RunID: l.RunID, RunStartedAt: started, KeptDatasets: keptDatasets})
	}
	return 0, fmt.Errorf("unknown entity %q", e)
}

// CloseStaleRuns closes running runs that nobody holds and that made no progress since cutoff, or that were
// taken over maxAttempts times (a crash loop), as failed with error kind "stale". It returns the closed runs.
func (db *DB) CloseStaleRuns(ctx context.Context, cutoff time.Time, maxAttempts int) ([]sspm.SyncRun, error) {
	rows, err := db.q.StaleRuns(ctx, sqlgen.StaleRunsParams{Cutoff: ts(cutoff), MaxAttempts: int32(maxAttempts), ClockNow: db.clock()})
	if err != nil {
		return nil, fmt.Errorf("find stale runs: %w", err)
	}
	var closed []sspm.SyncRun
	for _, r := range rows {
		text := fmt.Sprintf("closed as stale: no progress since %s after %d invocations (the process running it probably crashed)",
			r.HeartbeatAt.Time.UTC().Format(time.RFC3339), r.Attempts)
		n, err := db.q.CloseRun(ctx, sqlgen.CloseRunParams{ID: r.ID, Status: string(sspm.RunFailed), ErrorKind: "stale", ErrorText: text, ClockNow: db.clock()})
		if err != nil {
			return closed, fmt.Errorf("close stale run %d: %w", r.ID, err)
		}
		if n == 1 {
			run, err := runFromRow(r)
			if err != nil {
				return closed, err
			}
			run.Status, run.ErrorKind, run.ErrorText = sspm.RunFailed, "stale", text
			closed = append(closed, run)
		}
	}
	return closed, nil
}

// CancelRun closes a running run as canceled, whoever holds it; its holder loses the lease.
func (db *DB) CancelRun(ctx context.Context, runID int64, reason string) error {
	n, err := db.q.CloseRun(ctx, sqlgen.CloseRunParams{ID: runID, Status: string(sspm.RunCanceled), ErrorKind: "canceled", ErrorText: reason, ClockNow: db.clock()})
	if err != nil {
		return fmt.Errorf("cancel run %d: %w", runID, err)
	}
	if n == 0 {
		return fmt.Errorf("cancel run %d: %w", runID, sspm.ErrNotFound)
	}
	return nil
}

// Run returns one run.
func (db *DB) Run(ctx context.Context, id int64) (sspm.SyncRun, error) {
	row, err := db.q.GetRun(ctx, id)
	if err != nil {
		return sspm.SyncRun{}, notFound(err, fmt.Sprintf("run %d", id))
	}
	return runFromRow(row)
}

// Runs lists a connector's newest runs, of one lane or (lane "") all.
func (db *DB) Runs(ctx context.Context, connectorID string, lane sspm.Lane, limit int) ([]sspm.SyncRun, error) {
	rows, err := db.q.ListRuns(ctx, sqlgen.ListRunsParams{ConnectorID: connectorID, Lane: string(lane), MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list runs of %s: %w", connectorID, err)
	}
	out := make([]sspm.SyncRun, 0, len(rows))
	for _, r := range rows {
		run, err := runFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, run)
	}
	return out, nil
}

// Schedule returns a lane's schedule for a connector (zero when the lane never ran).
func (db *DB) Schedule(ctx context.Context, connectorID string, lane sspm.Lane) (sspm.LaneSchedule, error) {
	row, err := db.q.GetSchedule(ctx, sqlgen.GetScheduleParams{ConnectorID: connectorID, Lane: string(lane)})
	if errors.Is(err, pgx.ErrNoRows) {
		return sspm.LaneSchedule{}, nil
	}
	if err != nil {
		return sspm.LaneSchedule{}, fmt.Errorf("schedule of %s/%s: %w", connectorID, lane, err)
	}
	return sspm.LaneSchedule{NextDueAt: fromTS(row.NextDueAt), ConsecutiveFailures: int(row.ConsecutiveFailures),
		LastStatus: row.LastStatus, LastSuccessAt: fromTS(row.LastSuccessAt)}, nil
}

// Due lists the enabled connectors' lanes due at now: running runs whose lease is free (to continue) unless they
// wait for a rate limit past now, and lanes whose next due time has come. Connectors without a schedule row yet get one, due at once.
func (db *DB) Due(ctx context.Context, lanes []sspm.Lane, now time.Time) ([]sspm.DueWork, error) {
	var out []sspm.DueWork
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		names := make([]string, len(lanes))
		for i, l := range lanes {
			names[i] = string(l)
		}
		if err := q.EnsureSchedules(ctx, sqlgen.EnsureSchedulesParams{Lanes: names, Now: ts(now)}); err != nil {
			return err
		}
		resumable, err := q.ResumableRuns(ctx, sqlgen.ResumableRunsParams{Now: ts(now), ClockNow: db.clock()})
		if err != nil {
			return err
		}
		want := map[string]bool{}
		for _, l := range lanes {
			want[string(l)] = true
		}
		for _, r := range resumable {
			if want[r.Lane] {
				out = append(out, sspm.DueWork{ConnectorID: r.ConnectorID, Lane: sspm.Lane(r.Lane), Resume: true})
			}
		}
		due, err := q.DueLanes(ctx, sqlgen.DueLanesParams{Lanes: names, Now: ts(now)})
		if err != nil {
			return err
		}
		for _, d := range due {
			out = append(out, sspm.DueWork{ConnectorID: d.ConnectorID, Lane: sspm.Lane(d.Lane)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list due work: %w", err)
	}
	return out, nil
}

func runFromRow(r sqlgen.SyncRun) (sspm.SyncRun, error) {
	run := sspm.SyncRun{
		ID: r.ID, ConnectorID: r.ConnectorID, Lane: sspm.Lane(r.Lane), Trigger: sspm.Trigger(r.Trigger),
		Status: sspm.RunStatus(r.Status), Unavailable: r.Unavailable, ErrorKind: r.ErrorKind, ErrorText: r.ErrorText,
		Attempts: int(r.Attempts), LostLeases: int(r.LostLeases), StartedAt: fromTS(r.StartedAt), FinishedAt: fromTS(r.FinishedAt),
		HeartbeatAt: fromTS(r.HeartbeatAt), ResumeAt: fromTS(r.ResumeAt),
	}
	if err := unmarshalIfAny(r.Checkpoint, &run.Checkpoint); err != nil {
		return run, fmt.Errorf("run %d checkpoint: %w", r.ID, err)
	}
	if err := unmarshalIfAny(r.Counts, &run.Counts); err != nil {
		return run, fmt.Errorf("run %d counts: %w", r.ID, err)
	}
	if err := unmarshalIfAny(r.Progress, &run.Progress); err != nil {
		return run, fmt.Errorf("run %d progress: %w", r.ID, err)
	}
	return run, nil
}

func unmarshalIfAny(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// RecordLaneActivity records that a lane without sync runs (the evaluator) did its work for a connector at at:
// the connector's health shows it as the lane's last activity. A connector deleted meanwhile records nothing.
func (db *DB) RecordLaneActivity(ctx context.Context, connectorID string, lane sspm.Lane, at time.Time) error {
	if err := db.q.RecordLaneActivity(ctx, sqlgen.RecordLaneActivityParams{ConnectorID: connectorID, Lane: string(lane), At: ts(at)}); err != nil {
		return fmt.Errorf("record %s activity of %s: %w", lane, connectorID, err)
	}
	return nil
}
