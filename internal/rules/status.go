package rules

import "github.com/open-sspm/open-sspm/internal/sspm"

// The engine's results, controls and evidence are the domain's types (package sspm, where the store and the
// admin API read them); these are their names here.
type (
	Status            = sspm.RuleStatus
	Reason            = sspm.RuleReason
	ErrorKind         = sspm.RuleErrorKind
	Scope             = sspm.RuleScope
	Result            = sspm.RuleResult
	Affected          = sspm.RuleAffected
	Evidence          = sspm.RuleEvidence
	EvidenceRule      = sspm.RuleEvidenceRule
	EvidenceCheck     = sspm.RuleEvidenceCheck
	EvidenceResult    = sspm.RuleEvidenceResult
	EvidenceSelection = sspm.RuleEvidenceSelection
	DatasetEvidence   = sspm.RuleDatasetEvidence
	Override          = sspm.RuleOverride
	Attestation       = sspm.RuleAttestation
	Controls          = sspm.RuleControls
	RuleRef           = sspm.RuleRef
	ScopedRule        = sspm.ScopedRule
	SeedSet           = sspm.RuleSeedSet
	SeedRule          = sspm.RuleSeed
	SeedReport        = sspm.RuleSeedReport
	Data              = sspm.RuleData
	LookbackQuery     = sspm.EventLookback
	Expect            = sspm.RuleExpect
)

// Statuses (docs/rules-engine.md#statuses-and-reasons).
const (
	StatusPass          = sspm.RulePass
	StatusFail          = sspm.RuleFail
	StatusUnknown       = sspm.RuleUnknown
	StatusNotApplicable = sspm.RuleNotApplicable
	StatusError         = sspm.RuleError
)

// Reason codes.
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

// Error kinds.
const (
	ErrMissingIntegration ErrorKind = "missing_integration"
	ErrMissingDataset     ErrorKind = "missing_dataset"
	ErrPermissionDenied   ErrorKind = "permission_denied"
	ErrSyncFailed         ErrorKind = "sync_failed"
	ErrEngine             ErrorKind = sspm.RuleEngineError
	ErrInvalidParams      ErrorKind = "invalid_params"
)

// DatasetReason is the reason code of a dataset error kind, e.g. dataset_permission_denied.
func DatasetReason(k ErrorKind) Reason { return Reason(reasonDatasetPrefix + string(k)) }

// Scope kinds.
const (
	ScopeGlobal    = sspm.ScopeGlobal
	ScopeConnector = sspm.ScopeConnector
)

// GlobalScope is the scope of global rulesets.
func GlobalScope() Scope { return Scope{Kind: ScopeGlobal} }

// ConnectorScope is the scope of a connector instance.
func ConnectorScope(kind, connectorID string) Scope {
	return Scope{Kind: ScopeConnector, SourceKind: kind, SourceName: connectorID}
}

// MaxAffected caps the affected resources kept per result.
const MaxAffected = 1000
