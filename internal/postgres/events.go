package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// insertEvents stores events once per (connector, provider event id) with their targets, and returns how many
// were new.
func insertEvents(ctx context.Context, q *sqlgen.Queries, connectorID string, events []sspm.Event) (int64, error) {
	ids, err := insertNewEvents(ctx, q, connectorID, events)
	return int64(len(ids)), err
}

// insertNewEvents is insertEvents returning the provider ids of the events that were new.
func insertNewEvents(ctx context.Context, q *sqlgen.Queries, connectorID string, events []sspm.Event) (map[string]bool, error) {
	events = dedupe(events, func(e *sspm.Event) string { return e.ProviderEventID })
	p := sqlgen.InsertEventsParams{
		ConnectorID: connectorID, ProviderEventIds: make([]string, len(events)), Types: make([]string, len(events)),
		Categories: make([]string, len(events)), ActorExternalIds: make([]string, len(events)),
		ActorDisplays: make([]string, len(events)), Outcomes: make([]string, len(events)),
		OccurredAts: make([]pgtype.Timestamptz, len(events)), Sources: make([]string, len(events)),
		Raws: make([]json.RawMessage, len(events)),
	}
	byID := make(map[string]*sspm.Event, len(events))
	for i := range events {
		e := &events[i]
		if e.ProviderEventID == "" || e.OccurredAt.IsZero() {
			return nil, fmt.Errorf("insert events: event %d of %s has no provider id or time", i, connectorID)
		}
		src := e.Source
		if src == "" {
			src = "tail"
		}
		p.ProviderEventIds[i], p.Types[i], p.Categories[i] = e.ProviderEventID, e.Type, e.Category
		p.ActorExternalIds[i], p.ActorDisplays[i], p.Outcomes[i] = e.ActorExternalID, e.ActorDisplay, e.Outcome
		p.OccurredAts[i], p.Sources[i], p.Raws[i] = ts(e.OccurredAt), src, rawOrEmpty(e.Raw)
		byID[e.ProviderEventID] = e
	}
	inserted, err := q.InsertEvents(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	var t sqlgen.InsertEventTargetsParams
	t.ConnectorID = connectorID
	for _, row := range inserted {
		for i, target := range byID[row.ProviderEventID].Targets {
			t.EventIds = append(t.EventIds, row.ID)
			t.Ordinals = append(t.Ordinals, int32(i))
			t.Types = append(t.Types, target.Type)
			t.ExternalIds = append(t.ExternalIds, target.ExternalID)
			t.DisplayNames = append(t.DisplayNames, target.DisplayName)
		}
	}
	if len(t.EventIds) > 0 {
		if _, err := q.InsertEventTargets(ctx, t); err != nil {
			return nil, fmt.Errorf("insert event targets: %w", err)
		}
	}
	ids := make(map[string]bool, len(inserted))
	for _, row := range inserted {
		ids[row.ProviderEventID] = true
	}
	return ids, nil
}

// StoreEvents stores events outside a run (the inbox lane) and returns how many were new.
func (db *DB) StoreEvents(ctx context.Context, connectorID string, events []sspm.Event) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(q *sqlgen.Queries) (err error) {
		n, err = insertEvents(ctx, q, connectorID, events)
		return err
	})
	return n, err
}

// sspm.TailCursor returns a stream's cursor (zero when the stream never ran).
func (db *DB) TailCursor(ctx context.Context, connectorID, stream string) (sspm.TailCursor, error) {
	row, err := db.q.GetTailCursor(ctx, sqlgen.GetTailCursorParams{ConnectorID: connectorID, Stream: stream})
	if err != nil {
		if err := notFound(err, "tail cursor"); sspm.ErrorCode(err) == sspm.CodeNotFound {
			return sspm.TailCursor{}, nil
		}
		return sspm.TailCursor{}, fmt.Errorf("tail cursor %s/%s: %w", connectorID, stream, err)
	}
	return sspm.TailCursor{Cursor: row.Cursor, HighWater: fromTS(row.HighWaterAt), LastError: row.LastError,
		Unavailable: row.Unavailable, NotBefore: fromTS(row.NotBefore)}, nil
}

// CommitTail stores a stream's events and advances its cursor in one transaction, so a crash never skips or
// double-counts events. It returns the events that were new (a tail re-reads an overlap window: those it had
// already stored are not returned).
func (db *DB) CommitTail(ctx context.Context, connectorID, stream string, events []sspm.Event, c sspm.TailCursor, now time.Time) ([]sspm.Event, error) {
	var fresh []sspm.Event
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		if len(events) > 0 {
			ids, err := insertNewEvents(ctx, q, connectorID, events)
			if err != nil {
				return err
			}
			for _, e := range events {
				if ids[e.ProviderEventID] {
					fresh = append(fresh, e)
					delete(ids, e.ProviderEventID) // a page may repeat an event
				}
			}
		}
		lag := 0.0
		if !c.HighWater.IsZero() {
			lag = max(0, now.Sub(c.HighWater).Seconds())
		}
		return q.SaveTailCursor(ctx, sqlgen.SaveTailCursorParams{
			ConnectorID: connectorID, Stream: stream, Cursor: c.Cursor, HighWaterAt: ts(c.HighWater), LagSeconds: lag,
			Now: ts(now), Requests: int32(min(c.Requests, 1<<20)), BucketLimit: int32(min(c.BucketLimit, 1<<30)),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("commit tail %s/%s: %w", connectorID, stream, err)
	}
	return fresh, nil
}

// SetTailError records a stream's latest error without moving its cursor.
func (db *DB) SetTailError(ctx context.Context, connectorID, stream, msg string) error {
	if err := db.q.SetTailError(ctx, sqlgen.SetTailErrorParams{ConnectorID: connectorID, Stream: stream, LastError: msg}); err != nil {
		return fmt.Errorf("tail error %s/%s: %w", connectorID, stream, err)
	}
	return nil
}

// HoldTail holds a stream back until notBefore without moving its cursor: a rate limit (unavailable "", the
// stream's last error kept as lastError), or a stream the connector cannot read (unavailable is the reason).
func (db *DB) HoldTail(ctx context.Context, connectorID, stream string, c sspm.TailCursor) error {
	if err := db.q.HoldTail(ctx, sqlgen.HoldTailParams{ConnectorID: connectorID, Stream: stream, LastError: c.LastError,
		Unavailable: c.Unavailable, NotBefore: ts(c.NotBefore)}); err != nil {
		return fmt.Errorf("hold tail %s/%s: %w", connectorID, stream, err)
	}
	return nil
}

// CountEvents counts a connector's stored events.
func (db *DB) CountEvents(ctx context.Context, connectorID string) (int64, error) {
	n, err := db.q.CountEvents(ctx, connectorID)
	if err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
