package sspm

import (
	"errors"
	"time"
)

// Alert is the notification of one finding state change; it is what a webhook receives as JSON and what the
// alert outbox stores.
type Alert struct {
	ID               string    `json:"id"` // stable per state change: receivers de-duplicate on it
	Change           string    `json:"change"`
	FindingID        int64     `json:"finding_id"`
	DedupeKey        string    `json:"dedupe_key"`
	Kind             string    `json:"kind"`
	Status           string    `json:"status"`
	Severity         string    `json:"severity"`
	PreviousSeverity string    `json:"previous_severity,omitempty"`
	Title            string    `json:"title"`
	Subject          string    `json:"subject"`
	RulesetKey       string    `json:"ruleset_key"`
	RuleKey          string    `json:"rule_key"`
	ConnectorID      string    `json:"connector_id,omitempty"`
	At               time.Time `json:"at"`
	// URL links to the finding in the admin UI; set at delivery when a base URL is configured (ALERT_BASE_URL).
	URL string `json:"url,omitempty"`
}

// AlertEntry is one alert outbox row to enqueue: an alert for one destination.
type AlertEntry struct {
	Destination string
	Alert       Alert
}

// AlertClaim asks the alert outbox for due rows.
type AlertClaim struct {
	Destinations []string
	Limit        int
	Lease        time.Duration // how long the claim holds the row before it is due again
	MaxAttempts  int           // rows that used these are not claimed (they are expired instead)
}

// AlertDelivery is a claimed alert outbox row.
type AlertDelivery struct {
	ID          int64
	Destination string
	Claim       string
	Attempts    int // including this one
	Alert       Alert
}

// ErrAlertClaimLost is returned when a claimed outbox row was claimed again by another deliverer (the lease ran
// out) before this one recorded its outcome.
var ErrAlertClaimLost = errors.New("alert outbox: the claim was lost")
