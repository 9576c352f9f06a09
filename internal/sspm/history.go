package sspm

import (
	"regexp"
	"time"
)

// ChangeEntity is what an access change is about.
type ChangeEntity string

const (
	ChangeEntityAccount      ChangeEntity = "account"
	ChangeEntityMembership   ChangeEntity = "membership"
	ChangeEntityGrant        ChangeEntity = "grant"
	ChangeEntityCredential   ChangeEntity = "credential"
	ChangeEntityIdentityLink ChangeEntity = "identity_link"
)

// Change kinds, as the store records them (docs/access-history.md).
const (
	ChangeAccountAdded          = "account_added"
	ChangeAccountRemoved        = "account_removed"
	ChangeAccountStatusChanged  = "account_status_changed"
	ChangeAccountAdminGranted   = "account_admin_granted"
	ChangeAccountAdminRevoked   = "account_admin_revoked"
	ChangeMembershipAdded       = "membership_added"
	ChangeMembershipRemoved     = "membership_removed"
	ChangeMembershipRoleChanged = "membership_role_changed"
	ChangeGrantAdded            = "grant_added"
	ChangeGrantRemoved          = "grant_removed"
	ChangeGrantPermission       = "grant_permission_changed"
	ChangeCredentialAdded       = "credential_added"
	ChangeCredentialExpired     = "credential_expired"
	ChangeCredentialRevoked     = "credential_revoked"
	ChangeCredentialScopes      = "credential_scopes_changed"
	ChangeIdentityLinked        = "identity_linked"
	ChangeIdentityUnlinked      = "identity_unlinked"
)

// ChangeKinds lists every change kind, in the order the docs and the UI present them.
var ChangeKinds = []string{
	ChangeAccountAdded, ChangeAccountRemoved, ChangeAccountStatusChanged, ChangeAccountAdminGranted,
	ChangeAccountAdminRevoked, ChangeMembershipAdded, ChangeMembershipRemoved, ChangeMembershipRoleChanged,
	ChangeGrantAdded, ChangeGrantRemoved, ChangeGrantPermission, ChangeCredentialAdded, ChangeCredentialExpired,
	ChangeCredentialRevoked, ChangeCredentialScopes, ChangeIdentityLinked, ChangeIdentityUnlinked,
}

// AccessChange is one recorded change to access: what changed, when, which run or event observed it and how
// the access is held.
type AccessChange struct {
	ID          int64
	ConnectorID string
	Entity      ChangeEntity
	Change      string
	ObservedAt  time.Time
	ProviderAt  time.Time // the provider's own time of the change; zero when it has none
	RunID       int64     // the sync run that observed it; 0 for a push-assisted refresh or an admin
	EventID     int64     // the stored event whose push-assisted refresh observed it; 0 when none

	PrincipalKind       MemberKind // who holds the access: an account or a group
	PrincipalExternalID string
	AccountID           int64  // the account, when the principal is one and it is known
	TargetKind          string // group (membership), resource (grant), credential, identity (link)
	TargetExternalID    string
	Permission          string // grant permission, membership role or credential scopes
	Via                 string // direct, group, team, ...
	ViaExternalID       string // the group or team the access comes through
	OldValue, NewValue  string
	LinkIdentityID      int64 // link changes: the identity linked or unlinked
	Privileged          bool

	// Joined for display from the current inventory.
	AccountDisplay, AccountEmail string
	IdentityID                   int64 // the identity the account is linked to now
	TargetName                   string
	PrincipalName                string // the group's name, when the principal is a group
	ViaName                      string
}

// ChangeFilter selects access changes. Zero fields do not filter.
type ChangeFilter struct {
	Since, Until   time.Time // observed in [Since, Until)
	ConnectorID    string
	IdentityID     int64
	AccountID      int64
	Target         string // a resource's, group's or credential's external id
	Principal      string // a principal's external id (an account's or a group's)
	Changes        []string
	Entities       []string
	PrivilegedOnly bool
	IDs            []int64 // the changes with these ids (a finding's affected changes)
	// Keyset paging: changes strictly older than (BeforeAt, BeforeID).
	BeforeAt time.Time
	BeforeID int64
	Limit    int
}

// AccessAsOf is the access of an identity at a time, reconstructed from the current inventory and the changes
// recorded since: the accounts linked to it then, and what each held.
type AccessAsOf struct {
	IdentityID int64
	At         time.Time
	// HistorySince is the earliest time a connector of these accounts records history from (its first
	// successful full run); before it, the answer is the baseline as first seen. Zero when none has history.
	HistorySince time.Time
	Accounts     []AccountAsOf
}

// AccountAsOf is one account of an identity at a time and the access it held.
type AccountAsOf struct {
	AccountID   int64
	ConnectorID string
	ExternalID  string
	Kind        string
	DisplayName string
	Email       string
	Status      string
	IsAdmin     bool
	Access      []HeldAccess
}

// HeldAccess is one membership, grant or credential an account held, and how: directly or through a group.
type HeldAccess struct {
	Entity           ChangeEntity // membership, grant or credential
	TargetExternalID string
	TargetName       string
	Permission       string // the grant's permission, the membership's role, the credential's scopes
	Via              string // direct, group, team, ...
	ViaExternalID    string
	ViaName          string
	Privileged       bool
}

// privilegedAccess matches what the store's access_privileged function matches (migration 00160): permissions,
// roles, group names and scopes that name administrative access.
var privilegedAccess = regexp.MustCompile(`(?i)(admin|owner|superuser|super_user|root|full.?access|poweruser|power_user|maintain)`)

// PrivilegedAccess reports whether a permission, role, group name or scope list names privileged access, as
// the store classifies recorded changes.
func PrivilegedAccess(s string) bool { return privilegedAccess.MatchString(s) }
