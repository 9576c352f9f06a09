package rules

// Document kinds this package loads.
const (
	KindRuleset   = "opensspm.ruleset"
	KindPolicySet = "opensspm.event_policy_set" // (ours)
	KindTestCase  = "opensspm.test_case"
)

// document is the envelope of every file: {schema_version: 2, kind, <payload>}. Unknown fields are rejected.
type document struct {
	SchemaVersion int        `yaml:"schema_version"`
	Kind          string     `yaml:"kind"`
	Ruleset       *Ruleset   `yaml:"ruleset"`
	PolicySet     *PolicySet `yaml:"policy_set"`
}

// Ruleset groups rules that share a scope. Field names follow the spec (docs/rules-engine.md#documents). The compiled form of each
// rule is kept next to its definition; the definition alone is hashed and stored.
type Ruleset struct {
	Key               string              `yaml:"key" json:"key"`
	Name              string              `yaml:"name" json:"name"`
	Scope             RulesetScope        `yaml:"scope" json:"scope"`
	Status            string              `yaml:"status,omitempty" json:"status,omitempty"`
	Description       string              `yaml:"description,omitempty" json:"description,omitempty"`
	Tags              []string            `yaml:"tags,omitempty" json:"tags,omitempty"`
	Source            *SourceRef          `yaml:"source,omitempty" json:"source,omitempty"`
	References        []Reference         `yaml:"references,omitempty" json:"references,omitempty"`
	FrameworkMappings []FrameworkMapping  `yaml:"framework_mappings,omitempty" json:"framework_mappings,omitempty"`
	Requirements      *Requirements       `yaml:"requirements,omitempty" json:"requirements,omitempty"`
	DataContracts     []DataContract      `yaml:"data_contracts,omitempty" json:"data_contracts,omitempty"`
	Defaults          *RulesetDefaults    `yaml:"defaults,omitempty" json:"defaults,omitempty"`
	Selectors         map[string]Selector `yaml:"selectors,omitempty" json:"selectors,omitempty"`
	Rules             []*Rule             `yaml:"rules" json:"rules"`

	file string // where it was loaded from, for messages
}

// RulesetScope says where a ruleset applies: everywhere (global) or per connector of one kind.
type RulesetScope struct {
	Kind          string `yaml:"kind" json:"kind"`
	ConnectorKind string `yaml:"connector_kind,omitempty" json:"connector_kind,omitempty"`
}

// SourceRef names the benchmark a ruleset comes from.
type SourceRef struct {
	Name    string `yaml:"name" json:"name"`
	Version string `yaml:"version" json:"version"`
	Date    string `yaml:"date" json:"date"`
	URL     string `yaml:"url,omitempty" json:"url,omitempty"`
}

// Reference is a link shown with a ruleset or rule.
type Reference struct {
	URL   string `yaml:"url" json:"url"`
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	Type  string `yaml:"type" json:"type"`
}

// FrameworkMapping maps a rule to a control of a compliance framework.
type FrameworkMapping struct {
	Framework   string `yaml:"framework" json:"framework"`
	Control     string `yaml:"control" json:"control"`
	Enhancement string `yaml:"enhancement,omitempty" json:"enhancement,omitempty"`
	Coverage    string `yaml:"coverage" json:"coverage"`
	Notes       string `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// Requirements are shown on the connector page: what the connector's credentials must allow.
type Requirements struct {
	APIScopes   []string `yaml:"api_scopes,omitempty" json:"api_scopes,omitempty"`
	Permissions []string `yaml:"permissions,omitempty" json:"permissions,omitempty"`
	Notes       string   `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// DataContract pins the version of a dataset the ruleset's checks read.
type DataContract struct {
	Dataset     string `yaml:"dataset" json:"dataset"`
	Version     int    `yaml:"version" json:"version"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
}

// RulesetDefaults holds ruleset-wide check policies, applied before a check's own.
type RulesetDefaults struct {
	Check CheckPolicy `yaml:"check" json:"check"`
}

// CheckPolicy says what a dataset error does to a result: unknown (the default), fail or error (docs/rules-engine.md#dataset-errors).
type CheckPolicy struct {
	OnMissingDataset   string `yaml:"on_missing_dataset,omitempty" json:"on_missing_dataset,omitempty"`
	OnPermissionDenied string `yaml:"on_permission_denied,omitempty" json:"on_permission_denied,omitempty"`
	OnSyncError        string `yaml:"on_sync_error,omitempty" json:"on_sync_error,omitempty"`
}

// Selector is a named, reusable row selection.
type Selector struct {
	Dataset string      `yaml:"dataset" json:"dataset"`
	Where   []Predicate `yaml:"where,omitempty" json:"where,omitempty"`
}

// Rule is one posture rule (docs/rules.md). Title, Description and Remediation are what a person reads: a human
// title (never just the key), the rationale (one paragraph: why the rule matters and what it checks) and numbered
// remediation steps; the loader requires all three. Summary states the pass condition in one sentence.
type Rule struct {
	Key               string             `yaml:"key" json:"key"`
	Title             string             `yaml:"title" json:"title"`
	Severity          string             `yaml:"severity" json:"severity"`
	Monitoring        Monitoring         `yaml:"monitoring" json:"monitoring"`
	RequiredData      *[]string          `yaml:"required_data" json:"required_data"`
	Summary           string             `yaml:"summary,omitempty" json:"summary,omitempty"`
	Description       string             `yaml:"description,omitempty" json:"description,omitempty"`
	Category          string             `yaml:"category,omitempty" json:"category,omitempty"`
	Tags              []string           `yaml:"tags,omitempty" json:"tags,omitempty"`
	Parameters        *Parameters        `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	Check             *Check             `yaml:"check,omitempty" json:"check,omitempty"`
	Evidence          *EvidenceSpec      `yaml:"evidence,omitempty" json:"evidence,omitempty"`
	Remediation       *Remediation       `yaml:"remediation,omitempty" json:"remediation,omitempty"`
	References        []Reference        `yaml:"references,omitempty" json:"references,omitempty"`
	FrameworkMappings []FrameworkMapping `yaml:"framework_mappings,omitempty" json:"framework_mappings,omitempty"`
	Lifecycle         *Lifecycle         `yaml:"lifecycle,omitempty" json:"lifecycle,omitempty"`

	plan *plan // the compiled check; nil for manual rules
}

// Monitoring says how far a rule is automated.
type Monitoring struct {
	Status string `yaml:"status" json:"status"`
	Reason string `yaml:"reason,omitempty" json:"reason,omitempty"`
}

// Parameters are a rule's tunable values: defaults, and an optional schema every effective value must satisfy.
type Parameters struct {
	Defaults map[string]any         `yaml:"defaults" json:"defaults"`
	Schema   map[string]ParamSchema `yaml:"schema,omitempty" json:"schema,omitempty"`
}

// ParamSchema is the JSON-schema-like constraint on one parameter (docs/rules-engine.md#parameters).
type ParamSchema struct {
	Type        string   `yaml:"type" json:"type"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Minimum     *float64 `yaml:"minimum,omitempty" json:"minimum,omitempty"`
	Maximum     *float64 `yaml:"maximum,omitempty" json:"maximum,omitempty"`
	Enum        []any    `yaml:"enum,omitempty" json:"enum,omitempty"`
}

// Check is a rule's check: a structured dataset check, a manual attestation, or raw CEL (docs/rules-engine.md#checks).
type Check struct {
	Type        string      `yaml:"type,omitempty" json:"type,omitempty"`
	Engine      string      `yaml:"engine,omitempty" json:"engine,omitempty"`
	Expression  string      `yaml:"expression,omitempty" json:"expression,omitempty"`
	Dataset     string      `yaml:"dataset,omitempty" json:"dataset,omitempty"`
	Selector    string      `yaml:"selector,omitempty" json:"selector,omitempty"`
	Where       []Predicate `yaml:"where,omitempty" json:"where,omitempty"`
	Assert      *Predicate  `yaml:"assert,omitempty" json:"assert,omitempty"`
	Expect      *Expect     `yaml:"expect,omitempty" json:"expect,omitempty"`
	Compare     *Compare    `yaml:"compare,omitempty" json:"compare,omitempty"`
	CheckPolicy `yaml:",inline" json:",inline"`
}

// Check types and engines.
const (
	CheckFieldCompare = "dataset.field_compare"
	CheckCountCompare = "dataset.count_compare"
	CheckManual       = "manual.attestation"
	EngineCEL         = "cel"
)

// Predicate compares the value at a dot-notation path of a row with a literal or a parameter.
type Predicate struct {
	Path       string `yaml:"path" json:"path"`
	Op         string `yaml:"op" json:"op"`
	Value      any    `yaml:"value,omitempty" json:"value,omitempty"`
	ValueParam string `yaml:"value_param,omitempty" json:"value_param,omitempty"`
}

// Compare is a count_compare's condition on the number of selected rows.
type Compare struct {
	Op    string `yaml:"op" json:"op"`
	Value *int   `yaml:"value" json:"value"`
}

// EvidenceSpec says how to list affected resources and summarise results.
type EvidenceSpec struct {
	AffectedResources *AffectedSpec     `yaml:"affected_resources,omitempty" json:"affected_resources,omitempty"`
	SummaryTemplates  map[string]string `yaml:"summary_templates,omitempty" json:"summary_templates,omitempty"`
}

// AffectedSpec names the row fields that identify and display an affected resource.
type AffectedSpec struct {
	Dataset      string `yaml:"dataset,omitempty" json:"dataset,omitempty"`
	IDField      string `yaml:"id_field,omitempty" json:"id_field,omitempty"`
	DisplayField string `yaml:"display_field,omitempty" json:"display_field,omitempty"`
}

// Remediation tells an operator how to fix a failing rule.
type Remediation struct {
	Instructions string `yaml:"instructions" json:"instructions"`
	Risks        string `yaml:"risks,omitempty" json:"risks,omitempty"`
	Effort       string `yaml:"effort,omitempty" json:"effort,omitempty"`
}

// Lifecycle retires or replaces a rule.
type Lifecycle struct {
	RuleVersion string `yaml:"rule_version,omitempty" json:"rule_version,omitempty"`
	IsActive    *bool  `yaml:"is_active,omitempty" json:"is_active,omitempty"`
	ReplacedBy  string `yaml:"replaced_by,omitempty" json:"replaced_by,omitempty"`
}

// Active reports whether the rule is evaluated (lifecycle.is_active, default true).
func (r *Rule) Active() bool {
	return r.Lifecycle == nil || r.Lifecycle.IsActive == nil || *r.Lifecycle.IsActive
}

// Manual reports whether the rule has no check and is decided by attestation only.
func (r *Rule) Manual() bool { return r.plan == nil }

// Required lists the datasets the rule reads.
func (r *Rule) Required() []string {
	if r.RequiredData == nil {
		return nil
	}
	return *r.RequiredData
}
