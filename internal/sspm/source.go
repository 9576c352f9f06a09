package sspm

import (
	"context"
	"time"
)

// Source is the contract every connector implements for the full and discovery lanes. A lane is a list of
// stages; each stage is read page by page. The lane framework calls Step with the stage and the provider's cursor
// of the page to read, stores the rows of the page and the next cursor in one transaction, and calls again until
// the stage returns an empty cursor. A source never touches the database.
type Source interface {
	// Stages lists the stages of a lane in order; an empty list means the source does not run that lane.
	Stages(lane Lane) []string
	// Step reads one page of stage starting at cursor: "" (or the previous run's Watermark for the stage) for
	// the first page.
	Step(ctx context.Context, lane Lane, stage, cursor string) (StepResult, error)
}

// StepResult is one page of a stage.
type StepResult struct {
	Page Page
	// Next is the cursor of the next page; empty when the stage is done.
	Next string
	// Unavailable lists entities this run could not read (missing permission, endpoint not licensed). The sweep
	// at the end of the run keeps their old rows instead of expiring them.
	Unavailable []Entity
	// Message is shown in the run's progress (e.g. "waited 3s for the rate limit").
	Message string
	// Watermark, on the last page of a stage, is kept for the next run of the lane: its first Step of this stage
	// gets it as the cursor (discovery reads the log from where the previous run ended).
	Watermark string
}

// StreamSource is implemented by connectors that tail event logs. A stream is named by the connector
// (e.g. "system_log"). ReadStream returns events after cursor and the new cursor; More says whether the provider
// has more waiting right now.
type StreamSource interface {
	Streams() []string
	ReadStream(ctx context.Context, stream, cursor string) (StreamPage, error)
}

// StreamPage is one read of an event stream.
type StreamPage struct {
	Events []Event
	Cursor string
	// HighWater is the newest event time the cursor covers.
	HighWater time.Time
	More      bool
	// Requests is how many provider requests the read made, and BucketLimit the requests per minute the
	// provider's rate-limit bucket of those requests allows (0 when it did not say): the health page shows the
	// tail's request rate against it.
	Requests    int
	BucketLimit int
}

// Refresher is implemented by sources that can re-read what an event touched at once (push-assisted sync):
// the inbox lane calls it with the targets of new events and stores the page outside any sync run.
type Refresher interface {
	Refresh(ctx context.Context, targets []EventTarget) (Page, error)
}

// EventRefresher is a Refresher that chooses what to re-read from the events themselves (only events that can
// change inventory: lifecycle, membership, assignment, factor), rather than from every target.
type EventRefresher interface {
	RefreshEvents(ctx context.Context, events []Event) (Page, error)
}
