package sspm

import "time"

// Lease is one invocation's hold on a running run. Every write of the run checks it in the same transaction, so
// an invocation that lost its lease (it stalled past the TTL and another took the run over) writes nothing.
type Lease struct {
	RunID     int64
	Owner     string
	TTL       time.Duration
	StartedAt time.Time // when the run (not this invocation) started; the sweep keeps rows written after it
}

// RunState is what a run saves with every committed page.
type RunState struct {
	Checkpoint  Checkpoint
	Counts      map[string]int64
	Progress    Progress
	Unavailable []string
	// Watermark, when set, is saved with the page for the stage's next run.
	Watermark *Watermark
}

// Watermark is where a lane's stage continues in the lane's next run.
type Watermark struct {
	Lane  Lane
	Stage string
	Value string
}

// RunOutcome closes a run.
type RunOutcome struct {
	Status    RunStatus
	ErrorKind string
	ErrorText string
	// Sweep lists the entities whose unseen rows expire (only for a complete, successful run).
	Sweep []Entity
	// KeepDatasets lists datasets the run could not read: their rows are kept when datasets are swept.
	KeepDatasets []string
	// Keep lists, per swept entity, the scopes (column → value, see ScopedEntity) whose unseen rows are kept.
	Keep map[Entity][]map[string]string
	// When the lane is next due, and the failures in a row so far (0 after a success).
	NextDueAt           time.Time
	ConsecutiveFailures int
}

// LaneSchedule is a lane's scheduling state for one connector.
type LaneSchedule struct {
	NextDueAt           time.Time
	ConsecutiveFailures int
	LastStatus          string
	LastSuccessAt       time.Time
}

// DueWork is a connector lane that should run now.
type DueWork struct {
	ConnectorID string
	Lane        Lane
	Resume      bool // a running run waits to be continued
}

// TailCursor is where a tail stream continues.
type TailCursor struct {
	Cursor    string
	HighWater time.Time
	LastError string
	// Unavailable, when set, is why the stream cannot be read for this connector (sspm.ErrStreamUnavailable):
	// a state, not an error.
	Unavailable string
	// NotBefore: the stream is not read again before this time (a provider's rate limit, or the rare retry of an
	// unavailable stream). Zero: read at once.
	NotBefore time.Time
	// Requests and BucketLimit are what the committed read reports (StreamPage): the store counts the stream's
	// request rate from them.
	Requests    int
	BucketLimit int
}
