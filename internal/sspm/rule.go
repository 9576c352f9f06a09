package sspm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The vocabulary of posture rules and event policies as the store keeps it and the admin API shows it: a rule's
// result in a scope with its evidence, the overrides and attestations people set, and the catalogue's seeded
// form. The rules engine (package rules) produces and reads these; the names it uses are these types.

// RuleStatus is the outcome of evaluating a rule (docs/rules-engine.md#statuses-and-reasons).
type RuleStatus string

const (
	RulePass          RuleStatus = "pass"
	RuleFail          RuleStatus = "fail"
	RuleUnknown       RuleStatus = "unknown"
	RuleNotApplicable RuleStatus = "not_applicable"
	RuleError         RuleStatus = "error"
)

// RuleReason explains a status (the reason codes are the rules engine's).
type RuleReason string

// RuleErrorKind classifies a dataset error or a broken evaluation.
type RuleErrorKind string

// RuleScope is where a rule is evaluated: globally, or for one connector instance (source kind and name are the
// connector's kind and id). Results are kept per rule and scope.
type RuleScope struct {
	Kind       string `json:"scope_kind"` // global or connector_instance
	SourceKind string `json:"source_kind,omitempty"`
	SourceName string `json:"source_name,omitempty"`
}

// Scope kinds.
const (
	ScopeGlobal    = "global"
	ScopeConnector = "connector_instance"
)

// RuleResult is the current result of one rule in one scope.
type RuleResult struct {
	RulesetKey  string
	RuleKey     string
	Title       string
	Severity    string
	Status      RuleStatus
	Reason      RuleReason
	ErrorKind   RuleErrorKind // set with RuleError, and with a dataset error under any policy (D9)
	Summary     string
	Selected    int
	Passed      int
	Affected    []RuleAffected
	Evidence    RuleEvidence
	EvaluatedAt time.Time
}

// RuleAffected is a resource that made a rule fail.
type RuleAffected struct {
	ID      string     `json:"id"`
	Display string     `json:"display,omitempty"`
	Reason  RuleReason `json:"reason,omitempty"`
}

// RuleEvidence explains a result (docs/rules-engine.md#evaluation-order); it is stored as JSON with the result and in its history row.
type RuleEvidence struct {
	SchemaVersion     int                            `json:"schema_version"`
	Rule              RuleEvidenceRule               `json:"rule"`
	Check             *RuleEvidenceCheck             `json:"check,omitempty"`
	Params            map[string]any                 `json:"params,omitempty"`
	Result            RuleEvidenceResult             `json:"result"`
	Selection         *RuleEvidenceSelection         `json:"selection,omitempty"`
	AffectedResources []RuleAffected                 `json:"affected_resources,omitempty"`
	AffectedTruncated bool                           `json:"affected_truncated,omitempty"`
	Datasets          map[string]RuleDatasetEvidence `json:"datasets,omitempty"`
	Attestation       *RuleAttestation               `json:"attestation,omitempty"`
	Override          *RuleOverride                  `json:"override,omitempty"`
	ShadowResult      *RuleEvidenceResult            `json:"shadow_result,omitempty"`
	InvalidParam      string                         `json:"invalid_param,omitempty"`
	Error             string                         `json:"error,omitempty"`
}

// RuleEvidenceRule names the rule.
type RuleEvidenceRule struct {
	RulesetKey string `json:"ruleset_key"`
	RuleKey    string `json:"rule_key"`
}

// RuleEvidenceCheck is the compiled check (the CEL it ran).
type RuleEvidenceCheck struct {
	Engine  string      `json:"engine"`
	Type    string      `json:"type"`
	Dataset string      `json:"dataset,omitempty"`
	Where   string      `json:"where_expression,omitempty"`
	Assert  string      `json:"assert_expression,omitempty"`
	Expect  *RuleExpect `json:"expect,omitempty"`
	Compare string      `json:"compare_expression,omitempty"`
}

// RuleExpect configures a field_compare (as written in a ruleset): how rows combine and what an empty or small
// selection means.
type RuleExpect struct {
	Match       string `yaml:"match,omitempty" json:"match,omitempty"`
	MinSelected *int   `yaml:"min_selected,omitempty" json:"min_selected,omitempty"`
	OnEmpty     string `yaml:"on_empty,omitempty" json:"on_empty,omitempty"`
}

// RuleEvidenceResult is the outcome part of the evidence.
type RuleEvidenceResult struct {
	Status        RuleStatus    `json:"status"`
	ReasonCode    RuleReason    `json:"reason_code"`
	ErrorKind     RuleErrorKind `json:"error_kind,omitempty"`
	SelectedCount int           `json:"selected_count"`
	PassedCount   int           `json:"passed_count"`
	CountValue    *int          `json:"count_value,omitempty"`
	TargetValue   *int          `json:"target_value,omitempty"`
}

// RuleEvidenceSelection counts the rows a check selected and the rows that passed.
type RuleEvidenceSelection struct {
	Selected int `json:"selected"`
	Passed   int `json:"passed"`
}

// RuleDatasetEvidence snapshots a dataset as the check saw it (D11): row count and a hash of the rows, or the
// error.
type RuleDatasetEvidence struct {
	Rows      int           `json:"rows"`
	Hash      string        `json:"hash,omitempty"`
	ErrorKind RuleErrorKind `json:"error_kind,omitempty"`
	Stale     bool          `json:"stale,omitempty"`
}

// RuleOverride enables or disables a ruleset or a rule in a scope, or overrides a rule's parameters. RuleKey is
// empty for a ruleset override.
type RuleOverride struct {
	RulesetKey string         `json:"ruleset_key"`
	RuleKey    string         `json:"rule_key,omitempty"`
	Enabled    bool           `json:"enabled"`
	Params     map[string]any `json:"params,omitempty"`
	UpdatedBy  string         `json:"updated_by,omitempty"`
	UpdatedAt  time.Time      `json:"updated_at,omitzero"`
}

// RuleAttestation is a person's statement of a rule's status in a scope, valid until ExpiresAt (zero: no expiry).
type RuleAttestation struct {
	RulesetKey string     `json:"ruleset_key"`
	RuleKey    string     `json:"rule_key"`
	Status     RuleStatus `json:"status"`
	Note       string     `json:"note"`
	By         string     `json:"by"`
	At         time.Time  `json:"at,omitzero"`
	ExpiresAt  time.Time  `json:"expires_at,omitzero"`
	Expired    bool       `json:"expired,omitempty"`
}

// ValidAt reports whether the attestation applies at t.
func (a RuleAttestation) ValidAt(t time.Time) bool {
	return a.ExpiresAt.IsZero() || a.ExpiresAt.After(t)
}

// RuleControls are a scope's overrides and attestations, keyed by RuleRef.
type RuleControls struct {
	Overrides    map[RuleRef]RuleOverride // RuleRef.Rule "" for ruleset overrides
	Attestations map[RuleRef]RuleAttestation
}

// RuleRef names a rule across rulesets.
type RuleRef struct {
	Ruleset string
	Rule    string
}

func (r RuleRef) String() string { return r.Ruleset + "/" + r.Rule }

// ScopedRule names a rule in a scope.
type ScopedRule struct {
	Scope RuleScope
	Ref   RuleRef
}

// RuleSeedSet is a ruleset or policy set as the store keeps it: its canonical definition and the SHA-256 of it,
// so that seeding again is a no-op unless the definition changed.
type RuleSeedSet struct {
	Key           string
	Kind          string // posture or event_policies
	Name          string
	ScopeKind     string
	ConnectorKind string
	Status        string
	Definition    json.RawMessage
	Hash          string
	Rules         []RuleSeed
}

// RuleSeed is a rule or policy as the store keeps it.
type RuleSeed struct {
	Key          string
	Title        string
	Severity     string
	Monitoring   string
	RequiredData []string
	Parameters   json.RawMessage // {"defaults": ..., "schema": ...}, or {}
	Definition   json.RawMessage
	Hash         string
	Active       bool
}

// RuleSeedReport counts what seeding changed.
type RuleSeedReport struct {
	Sets    int64 // rulesets and policy sets written
	Rules   int64 // rules written (new, changed, or back)
	Retired int64 // rules no longer shipped
}

// RuleData is the content of one dataset as checks read it: JSON rows (objects decoded to map[string]any,
// numbers to float64), a hash of the rows as read (D11), and whether they come from a snapshot older than the
// last sync attempt (D10).
type RuleData struct {
	Rows  []map[string]any
	Hash  string
	Stale bool
}

// RuleDatasetError says why a dataset is unavailable to checks (docs/rules-engine.md#dataset-errors); its Kind becomes the results'
// error kind.
type RuleDatasetError struct {
	Dataset string
	Kind    RuleErrorKind
	Message string
}

func (e *RuleDatasetError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("dataset %s: %s: %s", e.Dataset, e.Kind, e.Message)
	}
	return fmt.Sprintf("dataset %s: %s", e.Dataset, e.Kind)
}

// RuleEngineError is the error kind of a broken evaluation (an undecodable dataset row, an engine fault).
const RuleEngineError RuleErrorKind = "engine_error"

// DecodeDatasetRows decodes a dataset's JSON rows and hashes them as read (D11). An undecodable row makes the
// dataset an engine_error (*RuleDatasetError).
func DecodeDatasetRows(name string, raws []json.RawMessage) (RuleData, error) {
	h := sha256.New()
	rows := make([]map[string]any, 0, len(raws))
	for i, raw := range raws {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return RuleData{}, &RuleDatasetError{Dataset: name, Kind: RuleEngineError, Message: fmt.Sprintf("row %d: %v", i, err)}
		}
		h.Write(raw)
		h.Write([]byte{'\n'})
		rows = append(rows, m)
	}
	return RuleData{Rows: rows, Hash: hex.EncodeToString(h.Sum(nil))}, nil
}

// EventLookback asks for a connector's stored events of some types or categories, in a group, in a window.
type EventLookback struct {
	ConnectorID string
	GroupBy     string // target or actor
	Keys        []string
	EventTypes  []string
	Categories  []string
	Since       time.Time
	Until       time.Time
}

// Normalized dataset names (docs/rules-engine.md#normalized-datasets): the store derives them from the inventory of every connector.
const (
	DatasetIdentities   = "normalized:identities"
	DatasetAccounts     = "normalized:accounts"
	DatasetEntitlements = "normalized:entitlement_assignments"
	DatasetCredentials  = "normalized:credentials"
	DatasetOAuthGrants  = "normalized:oauth_grants"
	// DatasetAccessChanges holds the access changes recorded in the last AccessChangeWindow (docs/access-history.md).
	DatasetAccessChanges = "normalized:access_changes"
)

// AccessChangeWindow is how far back normalized:access_changes reaches: the change-based rules judge the
// changes of the last week.
const AccessChangeWindow = 7 * 24 * time.Hour

// HighPrivilegeCredentialKinds lists the credential kinds whose privilege is high (docs/discovery.md#credential-risk-levels).
func HighPrivilegeCredentialKinds() []string {
	return []string{"entra_client_secret", "github_deploy_key", "github_pat_request", "github_pat_fine_grained",
		"okta_api_token", "datadog_api_key", "datadog_application_key"}
}

// PrivilegedScopes lists the OAuth scope tokens that are privileged by exact match (docs/discovery.md#scope-classification); Okta's
// okta.*.manage scopes are matched by pattern in the store.
func PrivilegedScopes() []string {
	return []string{"directory.readwrite.all", "application.readwrite.all", "rolemanagement.readwrite.directory",
		"mailboxsettings.readwrite", "full_access_as_app", "files.readwrite.all", "sites.readwrite.all",
		"user.readwrite.all", "offline_access", "https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
		"https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/admin.directory.user",
		"https://www.googleapis.com/auth/cloud-platform", "administration:write", "members:write",
		"organization_administration:write"}
}

// PostureDedupeKey keys the finding of a failing rule in a scope.
func PostureDedupeKey(s RuleScope, rulesetKey, ruleKey string) string {
	return fmt.Sprintf("posture:%s/%s:%s:%s:%s", rulesetKey, ruleKey, s.Kind, s.SourceKind, s.SourceName)
}

// PostureFindings turns a scope's results into finding changes: a failing rule is observed (opened or
// updated); a passing or not-applicable rule resolves its finding. Unknown and error results change nothing:
// they cannot tell whether the condition cleared.
func PostureFindings(scope RuleScope, results []RuleResult, now time.Time) (observe []Finding, resolve []string) {
	for _, r := range results {
		key := PostureDedupeKey(scope, r.RulesetKey, r.RuleKey)
		switch r.Status {
		case RulePass, RuleNotApplicable:
			resolve = append(resolve, key)
		case RuleFail:
			affected := r.Affected
			if len(affected) > 100 {
				affected = affected[:100]
			}
			b, _ := json.Marshal(struct {
				Status        RuleStatus     `json:"status"`
				Reason        RuleReason     `json:"reason_code"`
				Summary       string         `json:"summary"`
				Scope         RuleScope      `json:"scope"`
				AffectedCount int            `json:"affected_count"`
				Affected      []RuleAffected `json:"affected_resources,omitempty"`
			}{r.Status, r.Reason, r.Summary, scope, len(r.Affected), affected})
			connector := ""
			if scope.Kind == ScopeConnector {
				connector = scope.SourceName
			}
			subject := scope.SourceName
			if subject == "" {
				subject = scope.Kind
			}
			observe = append(observe, Finding{DedupeKey: key, Kind: FindingPosture, ConnectorID: connector,
				RulesetKey: r.RulesetKey, RuleKey: r.RuleKey, Severity: r.Severity, Title: r.Title,
				Subject: subject, Evidence: b, SeenAt: now})
		}
	}
	return observe, resolve
}
