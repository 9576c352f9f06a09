package sspm

import "time"

// EvidenceRecord is stored discovery evidence, as the discovery lane scores it.
type EvidenceRecord struct {
	ConnectorID   string
	ConnectorKind Kind
	Kind          string // sso, oauth_grant
	AppKey        string // the canonical key it was stored under (rules.md §6.1)
	AppID         string
	AppName       string
	Domain        string
	ActorKey      string
	Scopes        []string
	FirstSeenAt   time.Time
	LastSeenAt    time.Time
}

// SaaSApp is a discovered app with what the discovery lane computed for it. Governance fields are people's.
type SaaSApp struct {
	Key                     string
	DisplayName             string
	Vendor                  string
	Domain                  string
	Sources                 []string
	FirstSeenAt             time.Time
	LastSeenAt              time.Time
	Actors30d               int
	Scopes                  []string
	PrivilegedScopes        []string
	ConfidentialScopes      []string
	SuggestedCriticality    string
	SuggestedClassification string
	ManagedState            string
	ManagedConnectorID      string
	RiskScore               int
	RiskLevel               string
	Governance              AppGovernance
}

// AppGovernance is what people decide about a discovered app.
type AppGovernance struct {
	OwnerIdentityID *int64
	Criticality     string // unknown, low, medium, high, critical
	Classification  string // unknown, public, internal, confidential, restricted
	State           string // sanctioned, unsanctioned, under_review, ignored
	Notes           string
}

// AppBinding ties a discovered app to a connector.
type AppBinding struct {
	AppKey      string
	ConnectorID string
	Manual      bool
	Confidence  float64
	CreatedAt   time.Time
}

// ConnectorFreshness is what managed state needs to know of a connector.
type ConnectorFreshness struct {
	ID            string
	Kind          Kind
	Enabled       bool
	FullInterval  time.Duration
	LastSuccessAt time.Time
}
