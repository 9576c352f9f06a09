package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
)

type findingTrendStore interface {
	FindingsTrend(ctx context.Context, since, until time.Time) ([]postgres.FindingDay, error)
}

// FindingDay is one UTC day of the findings trend.
type FindingDay struct {
	Day        string `json:"day" doc:"YYYY-MM-DD (UTC)."`
	Opened     int64  `json:"opened" doc:"Findings first seen that day."`
	Resolved   int64  `json:"resolved" doc:"Findings resolved that day."`
	Unresolved int64  `json:"unresolved" doc:"Findings not resolved at the end of the day (open, suppressed or accepted)."`
}

type findingsTrendInput struct {
	Days int `query:"days" minimum:"1" maximum:"365" default:"30" doc:"Days back from today, today included."`
}

func (a *Admin) registerFindingsTrend(api huma.API) {
	operation(a, api, huma.Operation{OperationID: "getFindingsTrend", Method: http.MethodGet, Path: "/api/findings-trend",
		Summary: "Findings over time, per UTC day", Tags: []string{"findings"}, Errors: []int{422}}, a.getFindingsTrend)
}

func (a *Admin) getFindingsTrend(ctx context.Context, in *findingsTrendInput) (*body[[]FindingDay], error) {
	days := in.Days
	if days <= 0 {
		days = 30
	}
	now := a.now()
	ds, err := a.Store.FindingsTrend(ctx, now.AddDate(0, 0, -(days-1)), now)
	if err != nil {
		return nil, err
	}
	out := make([]FindingDay, len(ds))
	for i, d := range ds {
		out[i] = FindingDay{Day: d.Day.Format(time.DateOnly), Opened: d.Opened, Resolved: d.Resolved, Unresolved: d.Unresolved}
	}
	return bodyOf(out), nil
}
