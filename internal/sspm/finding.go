package sspm

import (
	"encoding/json"
	"log/slog"
	"slices"
	"time"
)

// FindingKind says what raised a finding. All kinds share one lifecycle.
type FindingKind string

const (
	FindingPosture  FindingKind = "posture"
	FindingEvent    FindingKind = "event"
	FindingIdentity FindingKind = "identity"
)

// FindingStatus is where a finding is in its lifecycle: open → resolved (the condition cleared, or by hand);
// open → suppressed or accepted_risk (by a person, with a reason and optionally an expiry after which it
// reopens). A resolved finding whose condition comes back reopens.
type FindingStatus string

const (
	FindingOpen         FindingStatus = "open"
	FindingResolved     FindingStatus = "resolved"
	FindingSuppressed   FindingStatus = "suppressed"
	FindingAcceptedRisk FindingStatus = "accepted_risk"
)

// Finding is an observation of a condition, keyed by a stable dedupe key: observing it again updates the same
// finding (last seen, evidence), never a second one.
type Finding struct {
	DedupeKey   string
	Kind        FindingKind
	ConnectorID string // empty for global findings
	RulesetKey  string // the ruleset or policy set
	RuleKey     string // the rule, policy or identity check
	Severity    string
	Title       string
	Subject     string // what it is about: a scope, an identity, an event target
	Evidence    json.RawMessage
	SeenAt      time.Time
}

// StoredFinding is a finding with its lifecycle state.
type StoredFinding struct {
	Finding
	ID            int64
	Status        FindingStatus
	StatusReason  string
	StatusUntil   time.Time
	StatusBy      string
	FirstSeenAt   time.Time
	LastSeenAt    time.Time
	ResolvedAt    time.Time
	ReopenedCount int
}

// FindingStatusChange is a person's decision on a finding. Suppressed and accepted_risk need a reason; Until,
// when set, is when the decision expires and the finding reopens.
type FindingStatusChange struct {
	Status FindingStatus
	Reason string
	Until  time.Time
	By     string
}

// Validate checks that the decision is one a person can make: a known status, with a reason where one is needed.
func (c FindingStatusChange) Validate() error {
	switch c.Status {
	case FindingOpen, FindingResolved:
	case FindingSuppressed, FindingAcceptedRisk:
		if c.Reason == "" {
			return Errorf(CodeInvalid, "a %s finding needs a reason", c.Status)
		}
	default:
		return Errorf(CodeInvalid, "unknown finding status %q", c.Status)
	}
	return nil
}

// FindingChanges counts the findings an evaluation observed and resolved, and lists the state changes to
// notify (opened, reopened, escalated), each once: they come from the store's transaction.
type FindingChanges struct {
	Observed    int64
	Resolved    int64
	Transitions []FindingTransition
}

// LogValue logs the counts only.
func (c FindingChanges) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("observed", c.Observed), slog.Int64("resolved", c.Resolved),
		slog.Int("notify", len(c.Transitions)))
}

// Add adds o's counts and transitions to c.
func (c *FindingChanges) Add(o FindingChanges) {
	c.Observed += o.Observed
	c.Resolved += o.Resolved
	c.Transitions = append(c.Transitions, o.Transitions...)
}

// Counts is c without its transitions.
func (c FindingChanges) Counts() FindingChanges {
	return FindingChanges{Observed: c.Observed, Resolved: c.Resolved}
}

// FindingChange is a state change of a finding worth notifying.
type FindingChange string

const (
	ChangeOpened    FindingChange = "opened"    // a new finding
	ChangeReopened  FindingChange = "reopened"  // resolved, suppressed or accepted, and open again
	ChangeEscalated FindingChange = "escalated" // open, and its severity rose
)

// FindingTransition is one notifiable state change of a finding: the finding as observed, its id, status after
// the change, the severity before (escalations) and how many times it reopened (with the change, it identifies
// the state change: a delivery id).
type FindingTransition struct {
	Change           FindingChange
	ID               int64
	Finding          Finding
	Status           FindingStatus
	PreviousSeverity string
	ReopenedCount    int
	At               time.Time
}

// SeverityRank orders severities: info < low < medium < high < critical (0 for an unknown one).
func SeverityRank(s string) int {
	return slices.Index(Severities, s) + 1
}

// Severities are the severities of rules and findings, lowest first.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// ClassifyTransition says which notifiable change an observation made, from the finding's status and severity
// before (oldStatus "" for a new finding) and after; ok is false when there is nothing to notify (updated, or
// still suppressed).
func ClassifyTransition(oldStatus, oldSeverity, status, severity string) (FindingChange, bool) {
	switch {
	case status != string(FindingOpen):
		return "", false
	case oldStatus == "":
		return ChangeOpened, true
	case oldStatus != string(FindingOpen):
		return ChangeReopened, true
	case SeverityRank(severity) > SeverityRank(oldSeverity):
		return ChangeEscalated, true
	}
	return "", false
}
