package sspm

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// AccountKind says what kind of principal an account is.
type AccountKind string

const (
	AccountUser             AccountKind = "user"
	AccountServiceAccount   AccountKind = "service_account"
	AccountServicePrincipal AccountKind = "service_principal"
	AccountBot              AccountKind = "bot"
	AccountRole             AccountKind = "role"
)

// Account is a principal of a source, keyed by (connector, ExternalID).
type Account struct {
	ExternalID  string
	Kind        AccountKind
	Email       string // lower-cased by the store
	Username    string
	DisplayName string
	Status      string // provider status, e.g. ACTIVE, DEPROVISIONED
	Active      bool
	LastLoginAt time.Time
	MFAEnrolled *bool // nil when unknown
	IsAdmin     bool
	Raw         json.RawMessage
}

// Group is a group, team or role container of a source.
type Group struct {
	ExternalID  string
	Kind        string // group, team, role
	Name        string
	Description string
	Raw         json.RawMessage
}

// MemberKind says whether a group member is an account or a nested group.
type MemberKind string

const (
	MemberAccount MemberKind = "account"
	MemberGroup   MemberKind = "group"
)

// GroupMember puts an account or a group into a group.
type GroupMember struct {
	GroupExternalID  string
	MemberExternalID string
	MemberKind       MemberKind
	Role             string // member, maintainer, owner
}

// Resource is something access is granted to: an app, a repository, an AWS account, a permission set.
type Resource struct {
	ExternalID string
	Kind       string // app, repository, aws_account, permission_set, role, oauth_client, app_registration, org
	Name       string
	URL        string
	Raw        json.RawMessage
}

// Grant gives a principal (account or group) a permission on a resource, directly or through something.
type Grant struct {
	PrincipalExternalID string
	PrincipalKind       MemberKind
	ResourceExternalID  string
	Permission          string
	Via                 string // direct, effective (the highest role from every source, when the direct one cannot be told apart), group, team, org_base
	ViaExternalID       string // the group or team the grant comes through
}

// Credential is metadata about an API token, client secret, deploy key, PAT or OAuth grant. Never a secret value.
type Credential struct {
	ExternalID      string
	Kind            string
	Name            string
	OwnerExternalID string
	Scopes          []string
	CreatedAt       time.Time
	ExpiresAt       time.Time
	LastUsedAt      time.Time
	Raw             json.RawMessage
}

// Event is a canonical provider event, as a connector reads it and as the store keeps it and event policies see
// it (docs/rules-engine.md#event-policies). ProviderEventID is unique per connector: a redelivered event is stored once. ID,
// ConnectorID and SourceKind are set by the store on stored events.
type Event struct {
	ID              int64 // the store's id: events are processed in its order
	ConnectorID     string
	SourceKind      Kind
	ProviderEventID string
	Type            string
	Category        string
	ActorExternalID string
	ActorDisplay    string
	Outcome         string
	OccurredAt      time.Time
	Source          string // tail or push: the channel it came by
	Targets         []EventTarget
	Raw             json.RawMessage
}

// EventTarget is something an event touched. Its JSON form is what finding evidence shows.
type EventTarget struct {
	Type        string `json:"kind"`
	ExternalID  string `json:"id"`
	DisplayName string `json:"display,omitempty"`
	// IsAdmin is joined from the inventory on stored events: the target is a live account of the connector with
	// admin grants.
	IsAdmin bool `json:"is_admin,omitempty"`
}

// DatasetRow is a configuration object a posture ruleset reads (a policy, an authenticator, an org setting),
// stored as the provider returned it, keyed by (connector, Dataset, ExternalID).
type DatasetRow struct {
	Dataset    string
	ExternalID string
	Raw        json.RawMessage
}

// Evidence is a sign-in or OAuth grant that shows a SaaS app in use, from an identity provider's logs.
// Evidence is de-duplicated per (connector, kind, app, actor): repeats raise the count and the last-seen time.
type Evidence struct {
	Kind        string // sso, oauth_grant
	AppKey      string // the app's canonical key (rules.md §6.1), set by the lane runner from the connector's kind and id
	AppID       string // the provider's id of the app or OAuth client, when it has one
	AppName     string
	Domain      string
	ActorID     string
	ActorEmail  string
	Scopes      []string
	OccurredAt  time.Time
	SourceEvent string // the provider event id it came from
}

// MFAStatus updates only an account's MFA signal (read separately from the account, e.g. per-user factor
// listings spread over runs). The account must exist; unknown accounts are ignored.
type MFAStatus struct {
	AccountExternalID string
	Enrolled          bool
	Factors           []string // enrolled factor types, e.g. push, totp, webauthn
}

// Entity names the inventory tables a full sync writes and sweeps.
type Entity string

const (
	EntityAccounts     Entity = "accounts"
	EntityGroups       Entity = "groups"
	EntityGroupMembers Entity = "group_members"
	EntityResources    Entity = "resources"
	EntityGrants       Entity = "grants"
	EntityCredentials  Entity = "credentials"
	EntityDatasets     Entity = "datasets"
)

// DatasetEntity names one dataset in a run's Unavailable list, so that a dataset the token may not read keeps
// its old rows while the others are swept.
func DatasetEntity(dataset string) Entity { return Entity("dataset:" + dataset) }

// Entities lists the inventory tables in load order.
var Entities = []Entity{EntityAccounts, EntityGroups, EntityGroupMembers, EntityResources, EntityGrants, EntityCredentials, EntityDatasets}

// Page is what a source emits for one step: rows to upsert with the run's marker.
type Page struct {
	Accounts     []Account
	Groups       []Group
	GroupMembers []GroupMember
	Resources    []Resource
	Grants       []Grant
	Credentials  []Credential
	Datasets     []DatasetRow
	Events       []Event
	Evidence     []Evidence
	MFA          []MFAStatus

	// Removals: rows the source knows for certain are gone, which the store expires at once, in the page's
	// transaction, whether the page is a sync run's (WritePage) or a push-assisted refresh's (WriteRefreshFor),
	// instead of leaving them live until a full run's sweep. Only a source that was told of a removal (a delta's
	// @removed, a revoked token a listing no longer holds) emits one; a source that merely did not see a row
	// emits nothing, and a full run's sweep still expires what the run did not see, as before. The access history
	// records each expiry as a removal (account_removed, membership_removed, grant_removed, credential_revoked;
	// a resource has no history of its own, its grants and credentials do).
	// A removal of a row that is not live changes nothing; a later page (or run) that sees the row again makes
	// it live again.
	//
	// RevokedGrants expire the live grants of the same principal, resource and permission (any path); an empty
	// principal or permission matches every one, so {ResourceExternalID: r} with the page's grants of r is "r's
	// grants are these" for a source that re-read all of them. A grant the same page grants is never expired.
	// RevokedCredentials expire the live credentials of the same external id.
	RevokedGrants      []Grant
	RevokedCredentials []Credential
	// RemovedAccounts are the external ids of accounts deleted at the source: each account expires with its
	// memberships and the grants it holds, as a sweep expires a vanished account with everything it no longer
	// lists.
	RemovedAccounts []string
	// RemovedResources are the external ids of resources deleted at the source: each resource expires with the
	// grants on it (whoever holds them, by any path). A credential names its owner, not a resource: a source that
	// knows the credentials that went with the resource names them in RevokedCredentials.
	RemovedResources []string
	// RemovedGroups are the external ids of groups deleted at the source: each group expires with its
	// memberships (its members' and its own in other groups), the grants it holds and the grants that came
	// through it (Via group or team).
	RemovedGroups []string
	// RemovedMembers are memberships that ended: the live membership of the same group, member and member kind
	// expires, whatever its role.
	RemovedMembers []GroupMember
}

// Len counts the rows in a page.
func (p *Page) Len() int {
	return len(p.Accounts) + len(p.Groups) + len(p.GroupMembers) + len(p.Resources) + len(p.Grants) +
		len(p.Credentials) + len(p.Datasets) + len(p.Events) + len(p.Evidence) + len(p.MFA) + p.Removals()
}

// Removals counts the page's removals.
func (p *Page) Removals() int {
	return len(p.RevokedGrants) + len(p.RevokedCredentials) + len(p.RemovedAccounts) + len(p.RemovedGroups) +
		len(p.RemovedMembers) + len(p.RemovedResources)
}

// ScopedEntity names the rows of entity e whose columns hold the values of cols (the credentials of kind
// github_pat: {"kind": "github_pat"}), for a run's Unavailable list: a source that could not read one listing
// marks only the rows that listing feeds, and the sweep keeps those while it expires the entity's other unseen
// rows. It reads "credentials[kind=github_pat]"; columns are the table's (its JSON form), values are escaped.
func ScopedEntity(e Entity, cols map[string]string) Entity {
	v := url.Values{}
	for k, x := range cols {
		v.Set(k, x)
	}
	return Entity(string(e) + "[" + v.Encode() + "]")
}

// ParseScope splits an Unavailable entry into its entity and, for a ScopedEntity, the columns of its scope
// (nil for a whole entity or a dataset). ok is false for a malformed scope.
func ParseScope(u string) (e Entity, cols map[string]string, ok bool) {
	name, rest, scoped := strings.Cut(u, "[")
	if !scoped {
		return Entity(u), nil, true
	}
	q, found := strings.CutSuffix(rest, "]")
	if !found {
		return Entity(name), nil, false
	}
	v, err := url.ParseQuery(q)
	if err != nil || len(v) == 0 {
		return Entity(name), nil, false
	}
	cols = make(map[string]string, len(v))
	for k, xs := range v {
		cols[k] = xs[0]
	}
	return Entity(name), cols, true
}
