package discovery

import "time"

// Managed states (docs/discovery.md#managed-state).
const (
	ManagedNoBinding          = "no_binding"
	ManagedNotConfigured      = "connector_not_configured"
	ManagedConnectorDisabled  = "connector_disabled"
	ManagedStaleSync          = "stale_sync"
	ManagedActiveBindingFresh = "managed"
)

// Binding ties a discovered app to the connector that manages it.
type Binding struct {
	ConnectorID string
	Manual      bool
	Confidence  float64 // auto bindings: 0.8
	CreatedAt   time.Time
}

// ConnectorState is what managed state needs to know of a connector.
type ConnectorState struct {
	Exists        bool
	Enabled       bool
	Interval      time.Duration // the full lane's interval
	LastSuccessAt time.Time
}

// Primary picks the primary binding: manual first, then the highest confidence, then the oldest.
func Primary(bs []Binding) (Binding, bool) {
	var best Binding
	found := false
	for _, b := range bs {
		if !found || better(b, best) {
			best, found = b, true
		}
	}
	return best, found
}

func better(a, b Binding) bool {
	if a.Manual != b.Manual {
		return a.Manual
	}
	if a.Confidence != b.Confidence {
		return a.Confidence > b.Confidence
	}
	return a.CreatedAt.Before(b.CreatedAt)
}

// ManagedState is the first match of: no primary binding; bound connector not configured; disabled; no
// successful sync within max(2 × interval, 30 min); else managed.
func ManagedState(bs []Binding, connector func(id string) ConnectorState, now time.Time) (state, connectorID string) {
	p, ok := Primary(bs)
	if !ok {
		return ManagedNoBinding, ""
	}
	c := connector(p.ConnectorID)
	switch {
	case !c.Exists:
		return ManagedNotConfigured, p.ConnectorID
	case !c.Enabled:
		return ManagedConnectorDisabled, p.ConnectorID
	case c.LastSuccessAt.IsZero() || now.Sub(c.LastSuccessAt) > max(2*c.Interval, 30*time.Minute):
		return ManagedStaleSync, p.ConnectorID
	}
	return ManagedActiveBindingFresh, p.ConnectorID
}

// Suggest returns the suggested business criticality and data classification (docs/discovery.md#suggested-criticality-and-classification).
func Suggest(actors30d int, sc ScopeClass) (criticality, classification string) {
	switch {
	case actors30d >= 200:
		criticality = "critical"
	case actors30d >= 50 || len(sc.Privileged) > 0:
		criticality = "high"
	case actors30d >= 10:
		criticality = "medium"
	default:
		criticality = "low"
	}
	switch {
	case len(sc.Privileged) > 0:
		classification = "restricted"
	case len(sc.Confidential) > 0:
		classification = "confidential"
	default:
		classification = "internal"
	}
	return criticality, classification
}

// Effective is the human override when set (and not "unknown"), else the suggestion.
func Effective(override, suggested string) string {
	if override != "" && override != "unknown" {
		return override
	}
	return suggested
}

// RiskInput is what the risk score reads.
type RiskInput struct {
	ManagedState   string
	Privileged     bool
	HasOwner       bool
	Actors30d      int
	Criticality    string // effective
	Classification string // effective
}

// Risk returns the additive risk score clamped to 0–100 and its level (docs/discovery.md#risk-score).
func Risk(in RiskInput) (score int, level string) {
	unmanaged := in.ManagedState != ManagedActiveBindingFresh
	if unmanaged {
		score += 45
	}
	if in.Privileged {
		score += 20
	}
	if !in.HasOwner {
		score += 15
	}
	if in.Actors30d >= 50 {
		score += 10
	}
	if unmanaged && (in.Criticality == "high" || in.Criticality == "critical") {
		score += 10
	}
	if unmanaged && (in.Classification == "confidential" || in.Classification == "restricted") {
		score += 5
	}
	score = min(max(score, 0), 100)
	switch {
	case score >= 80:
		level = "critical"
	case score >= 60:
		level = "high"
	case score >= 30:
		level = "medium"
	default:
		level = "low"
	}
	return score, level
}

// HotspotMin is the score from which an app is a hotspot; at most MaxHotspots are listed.
const (
	HotspotMin  = 60
	MaxHotspots = 200
)
