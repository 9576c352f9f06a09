package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
)

// FindingDay is one UTC day of the findings trend.
type FindingDay struct {
	Day                          time.Time
	Opened, Resolved, Unresolved int64
}

// FindingsTrend counts, per UTC day from since's day to until's, the findings first seen and resolved that day
// and those unresolved at its end.
func (db *DB) FindingsTrend(ctx context.Context, since, until time.Time) ([]FindingDay, error) {
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	rows, err := db.q.APIFindingsTrend(ctx, sqlgen.APIFindingsTrendParams{Since: ts(day(since)), Until: ts(day(until))})
	if err != nil {
		return nil, fmt.Errorf("findings trend: %w", err)
	}
	out := make([]FindingDay, len(rows))
	for i, r := range rows {
		out[i] = FindingDay{Day: fromTS(r.Day).UTC(), Opened: r.Opened, Resolved: r.Resolved, Unresolved: r.Unresolved}
	}
	return out, nil
}
