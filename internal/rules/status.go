package rules

import "time"

// Status is the outcome of evaluating a rule (docs/rules-engine.md#statuses-and-reasons).
type Status string

const (
	StatusPass          Status = "pass"
	StatusFail          Status = "fail"
	StatusUnknown       Status = "unknown"
	StatusNotApplicable Status = "not_applicable"
	StatusError         Status = "error"
)

// Reason explains a status.
type Reason string

const (
	ReasonManualRule         Reason = "manual_rule"
	ReasonMissingCheck       Reason = "missing_check"
	ReasonEmptySelection     Reason = "empty_selection"
	ReasonMinSelectedNotMet  Reason = "min_selected_not_met"
	ReasonCELError           Reason = "cel_error"
	ReasonMissingParam       Reason = "missing_param"
	ReasonAssertFailed       Reason = "assert_failed"
	ReasonAssertPassed       Reason = "assert_passed"
	ReasonCountCompare       Reason = "count_compare"
	ReasonMissingField       Reason = "missing_field"
	ReasonTypeMismatch       Reason = "type_mismatch"
	ReasonUnlimitedValue     Reason = "unlimited_value"
	ReasonAttested           Reason = "attested"
	ReasonDisabledByOverride Reason = "disabled_by_override"
	ReasonRulesetDisabled    Reason = "ruleset_disabled"
	ReasonInvalidParams      Reason = "invalid_params"
	ReasonInvalidDefinition  Reason = "invalid_definition"
	reasonDatasetPrefix             = "dataset_"
)

// ErrorKind classifies a dataset error or a broken evaluation.
type ErrorKind string

const (
	ErrMissingIntegration ErrorKind = "missing_integration"
	ErrMissingDataset     ErrorKind = "missing_dataset"
	ErrPermissionDenied   ErrorKind = "permission_denied"
	ErrSyncFailed         ErrorKind = "sync_failed"
	ErrEngine             ErrorKind = "engine_error"
	ErrInvalidParams      ErrorKind = "invalid_params"
)

// DatasetReason is the reason code of a dataset error kind, e.g. dataset_permission_denied.
func DatasetReason(k ErrorKind) Reason { return Reason(reasonDatasetPrefix + string(k)) }

// Scope is where a rule is evaluated: globally, or for one connector instance (source kind and name are the
// connector's kind and id). Results are kept per rule and scope.
type Scope struct {
	Kind       string `json:"scope_kind"` // global or connector_instance
	SourceKind string `json:"source_kind,omitempty"`
	SourceName string `json:"source_name,omitempty"`
}

// Scope kinds.
const (
	ScopeGlobal    = "global"
	ScopeConnector = "connector_instance"
)

// GlobalScope is the scope of global rulesets.
func GlobalScope() Scope { return Scope{Kind: ScopeGlobal} }

// ConnectorScope is the scope of a connector instance.
func ConnectorScope(kind, connectorID string) Scope {
	return Scope{Kind: ScopeConnector, SourceKind: kind, SourceName: connectorID}
}

// Result is the current result of one rule in one scope.
type Result struct {
	RulesetKey  string
	RuleKey     string
	Title       string
	Severity    string
	Status      Status
	Reason      Reason
	ErrorKind   ErrorKind // set with StatusError, and with a dataset error under any policy (D9)
	Summary     string
	Selected    int
	Passed      int
	Affected    []Affected
	Evidence    Evidence
	EvaluatedAt time.Time
}

// Affected is a resource that made a rule fail.
type Affected struct {
	ID      string `json:"id"`
	Display string `json:"display,omitempty"`
	Reason  Reason `json:"reason,omitempty"`
}

// MaxAffected caps the affected resources kept per result.
const MaxAffected = 1000

// Evidence explains a result (docs/rules-engine.md#evaluation-order); it is stored as JSON with the result and in its history row.
type Evidence struct {
	SchemaVersion     int                        `json:"schema_version"`
	Rule              EvidenceRule               `json:"rule"`
	Check             *EvidenceCheck             `json:"check,omitempty"`
	Params            map[string]any             `json:"params,omitempty"`
	Result            EvidenceResult             `json:"result"`
	Selection         *EvidenceSelection         `json:"selection,omitempty"`
	AffectedResources []Affected                 `json:"affected_resources,omitempty"`
	AffectedTruncated bool                       `json:"affected_truncated,omitempty"`
	Datasets          map[string]DatasetEvidence `json:"datasets,omitempty"`
	Attestation       *Attestation               `json:"attestation,omitempty"`
	Override          *Override                  `json:"override,omitempty"`
	ShadowResult      *EvidenceResult            `json:"shadow_result,omitempty"`
	InvalidParam      string                     `json:"invalid_param,omitempty"`
	Error             string                     `json:"error,omitempty"`
}

// EvidenceRule names the rule.
type EvidenceRule struct {
	RulesetKey string `json:"ruleset_key"`
	RuleKey    string `json:"rule_key"`
}

// EvidenceCheck is the compiled check (the CEL it ran).
type EvidenceCheck struct {
	Engine  string  `json:"engine"`
	Type    string  `json:"type"`
	Dataset string  `json:"dataset,omitempty"`
	Where   string  `json:"where_expression,omitempty"`
	Assert  string  `json:"assert_expression,omitempty"`
	Expect  *Expect `json:"expect,omitempty"`
	Compare string  `json:"compare_expression,omitempty"`
}

// EvidenceResult is the outcome part of the evidence.
type EvidenceResult struct {
	Status        Status    `json:"status"`
	ReasonCode    Reason    `json:"reason_code"`
	ErrorKind     ErrorKind `json:"error_kind,omitempty"`
	SelectedCount int       `json:"selected_count"`
	PassedCount   int       `json:"passed_count"`
	CountValue    *int      `json:"count_value,omitempty"`
	TargetValue   *int      `json:"target_value,omitempty"`
}

// EvidenceSelection counts the rows a check selected and the rows that passed.
type EvidenceSelection struct {
	Selected int `json:"selected"`
	Passed   int `json:"passed"`
}

// DatasetEvidence snapshots a dataset as the check saw it (D11): row count and a hash of the rows, or the error.
type DatasetEvidence struct {
	Rows      int       `json:"rows"`
	Hash      string    `json:"hash,omitempty"`
	ErrorKind ErrorKind `json:"error_kind,omitempty"`
	Stale     bool      `json:"stale,omitempty"`
}

// Override enables or disables a ruleset or a rule in a scope, or overrides a rule's parameters. RuleKey is
// empty for a ruleset override.
type Override struct {
	RulesetKey string         `json:"ruleset_key"`
	RuleKey    string         `json:"rule_key,omitempty"`
	Enabled    bool           `json:"enabled"`
	Params     map[string]any `json:"params,omitempty"`
	UpdatedBy  string         `json:"updated_by,omitempty"`
	UpdatedAt  time.Time      `json:"updated_at,omitzero"`
}

// Attestation is a person's statement of a rule's status in a scope, valid until ExpiresAt (zero: no expiry).
type Attestation struct {
	RulesetKey string    `json:"ruleset_key"`
	RuleKey    string    `json:"rule_key"`
	Status     Status    `json:"status"`
	Note       string    `json:"note"`
	By         string    `json:"by"`
	At         time.Time `json:"at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	Expired    bool      `json:"expired,omitempty"`
}

// ValidAt reports whether the attestation applies at t.
func (a Attestation) ValidAt(t time.Time) bool { return a.ExpiresAt.IsZero() || a.ExpiresAt.After(t) }

// Controls are a scope's overrides and attestations, keyed by RuleRef.
type Controls struct {
	Overrides    map[RuleRef]Override // RuleRef.Rule "" for ruleset overrides
	Attestations map[RuleRef]Attestation
}

// RuleRef names a rule across rulesets.
type RuleRef struct {
	Ruleset string
	Rule    string
}

func (r RuleRef) String() string { return r.Ruleset + "/" + r.Rule }
