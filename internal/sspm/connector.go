package sspm

import (
	"encoding/json"
	"regexp"
	"time"
)

// Kind names a connector type.
type Kind string

const (
	KindOkta       Kind = "okta"
	KindEntra      Kind = "entra"
	KindGoogle     Kind = "google_workspace"
	KindGitHub     Kind = "github"
	KindDatadog    Kind = "datadog"
	KindAWSIDC     Kind = "aws_identity_center"
	KindTestSource Kind = "test" // only registered by tests
)

var connectorIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidConnectorID reports whether id can name a connector: lower-case letters, digits and dashes, at most 63
// characters, starting with a letter or digit. The id appears in webhook URLs and encryption contexts.
func ValidConnectorID(id string) bool { return connectorIDPattern.MatchString(id) }

// Connector is one configured source: an Okta org, a GitHub organization, ... Several connectors of one kind may
// exist. Config holds non-secret settings as JSON; the secret is stored envelope-encrypted and never returned.
type Connector struct {
	ID               string
	Kind             Kind
	Name             string
	Enabled          bool
	DiscoveryEnabled bool
	// Authoritative marks a source whose accounts anchor identities (identity providers by default).
	Authoritative   bool
	Config          json.RawMessage
	HasSecret       bool
	SecretUpdatedAt time.Time
	// Intervals per lane; a zero or missing interval means the lane's default.
	Intervals map[Lane]time.Duration
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Lane is one of the five kinds of work Open-SSPM does.
type Lane string

const (
	LaneFull       Lane = "full"
	LaneDiscovery  Lane = "discovery"
	LaneEventInbox Lane = "event-inbox"
	LaneTail       Lane = "tail"
	LaneEvaluator  Lane = "evaluator"
)

// Lanes lists every lane in a stable order.
var Lanes = []Lane{LaneFull, LaneDiscovery, LaneEventInbox, LaneTail, LaneEvaluator}

// ParseLane returns the lane named s.
func ParseLane(s string) (Lane, error) {
	for _, l := range Lanes {
		if string(l) == s {
			return l, nil
		}
	}
	return "", Errorf(CodeInvalid, "unknown lane %q (want full, discovery, event-inbox, tail or evaluator)", s)
}

// DefaultInterval is how often a lane runs per connector when the connector does not say.
func (l Lane) DefaultInterval() time.Duration {
	switch l {
	case LaneFull:
		return 6 * time.Hour
	case LaneDiscovery:
		return time.Hour
	case LaneTail:
		return time.Minute
	default:
		return 15 * time.Minute
	}
}

// Trigger says why a run started.
type Trigger string

const (
	TriggerSchedule Trigger = "schedule"
	TriggerManual   Trigger = "manual"
	TriggerPush     Trigger = "push"
)

// RunStatus is the state of a sync run.
type RunStatus string

const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
	RunCanceled  RunStatus = "canceled"
)

// Checkpoint is where a run resumes: the stage it is in and the provider's cursor within that stage.
type Checkpoint struct {
	Stage  string `json:"stage"`
	Cursor string `json:"cursor,omitempty"`
	// Done lists the stages already completed, in order.
	Done []string `json:"done,omitempty"`
}

// SyncRun is one run of a lane for a connector. A run may span several invocations (it checkpoints and
// continues); Attempts counts them.
type SyncRun struct {
	ID          int64
	ConnectorID string
	Lane        Lane
	Trigger     Trigger
	Status      RunStatus
	Checkpoint  Checkpoint
	Counts      map[string]int64
	Progress    Progress
	Unavailable []string
	ErrorKind   string
	ErrorText   string
	Attempts    int
	// LostLeases counts the invocations whose lease expired while they held the run (killed, or cut off from
	// the database) before another took it over; Attempts counts every invocation.
	LostLeases  int
	StartedAt   time.Time
	FinishedAt  time.Time
	HeartbeatAt time.Time
	// ResumeAt is set while a paused run waits for a provider's rate limit: it is not continued before then.
	ResumeAt time.Time
}

// Progress is what a run reports while it works.
type Progress struct {
	Stage   string `json:"stage,omitempty"`
	Pages   int64  `json:"pages,omitempty"`
	Rows    int64  `json:"rows,omitempty"`
	Message string `json:"message,omitempty"` // e.g. "waiting 12s for the rate limit"
}
