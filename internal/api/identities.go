package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type identityStore interface {
	Identities(ctx context.Context, f postgres.IdentityFilter, o postgres.ListOptions) (postgres.List[postgres.Identity], error)
	Identity(ctx context.Context, id int64) (postgres.Identity, error)
	IdentityAccounts(ctx context.Context, identityID int64) ([]postgres.LinkedAccount, error)
	AccountGroups(ctx context.Context, accountIDs []int64) ([]postgres.AccountGroup, error)
	AccountGrants(ctx context.Context, accountIDs []int64) ([]postgres.AccountGrant, error)
	IdentityEvents(ctx context.Context, identityID int64, limit int) ([]postgres.EventSummary, error)
	Accounts(ctx context.Context, connectorID string, f postgres.AccountFilter, o postgres.ListOptions) (postgres.List[postgres.AccountRow], error)
	AccountSuggestions(ctx context.Context, connectorID, externalID string, limit int) ([]postgres.IdentitySuggestion, error)
	SetManualLinkAudited(ctx context.Context, connectorID, externalID string, identityID *int64, actor string) error
	ClearManualLinkAudited(ctx context.Context, connectorID, externalID, actor string) error
}

// Identity is the person, service or bot behind accounts, with flags derived from its linked accounts.
type Identity struct {
	ID           int64      `json:"id"`
	Kind         string     `json:"kind" enum:"person,service,bot"`
	PrimaryEmail string     `json:"primary_email"`
	DisplayName  string     `json:"display_name"`
	Status       string     `json:"status"`
	LastSeenAt   *time.Time `json:"last_seen_at,omitempty"`
	Anchored     bool       `json:"anchored" doc:"Managed: linked to a live account of an authoritative source."`
	Privileged   bool       `json:"privileged"`
	MFA          *bool      `json:"mfa,omitempty" doc:"Every live user account with a known MFA signal has MFA; absent when unknown."`
	Stale        bool       `json:"stale"`
	Leaver       bool       `json:"leaver" doc:"Deprovisioned in an identity provider, still active elsewhere."`
	Accounts     int        `json:"accounts"`
}

// IdentityDetail is an identity with its access across sources.
type IdentityDetail struct {
	Identity
	LinkedAccounts []LinkedAccount `json:"linked_accounts" nullable:"false"`
	Events         []EventSummary  `json:"events" nullable:"false" doc:"Its newest events, as actor or target."`
	Findings       []Finding       `json:"findings" nullable:"false"`
}

// LinkedAccount is an identity's account in one source, its groups and what it can access.
type LinkedAccount struct {
	ID            int64          `json:"id"`
	ConnectorID   string         `json:"connector_id"`
	ConnectorKind string         `json:"connector_kind"`
	ConnectorName string         `json:"connector_name"`
	Authoritative bool           `json:"authoritative"`
	ExternalID    string         `json:"external_id"`
	Kind          string         `json:"kind"`
	Email         string         `json:"email"`
	Username      string         `json:"username"`
	DisplayName   string         `json:"display_name"`
	Status        string         `json:"status"`
	Active        bool           `json:"active"`
	LastLoginAt   *time.Time     `json:"last_login_at,omitempty"`
	MFAEnrolled   *bool          `json:"mfa_enrolled,omitempty"`
	IsAdmin       bool           `json:"is_admin"`
	Expired       bool           `json:"expired" doc:"No longer seen by the source."`
	LinkReason    string         `json:"link_reason" enum:"authoritative,auto_email,manual"`
	LinkedBy      string         `json:"linked_by,omitempty"`
	Groups        []AccountGroup `json:"groups" nullable:"false"`
	Grants        []AccountGrant `json:"grants" nullable:"false"`
}

// AccountGroup is a group an account belongs to.
type AccountGroup struct {
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	ViaGroup   string `json:"via_group,omitempty" doc:"The nested group it belongs through; absent when direct."`
}

// AccountGrant is something an account can access, and how.
type AccountGrant struct {
	ResourceID          int64  `json:"resource_id,omitempty" doc:"Absent when the resource is not in the inventory."`
	ResourceExternalID  string `json:"resource_external_id"`
	ResourceName        string `json:"resource_name"`
	ResourceKind        string `json:"resource_kind"`
	Permission          string `json:"permission"`
	Via                 string `json:"via" doc:"How the grant is held, as the source says: direct, effective (the highest role from every source, where the provider cannot tell a direct one apart), group, team, org_base."`
	ViaExternalID       string `json:"via_external_id,omitempty"`
	PrincipalKind       string `json:"principal_kind" enum:"account,group" doc:"group: granted to a group the account belongs to."`
	PrincipalExternalID string `json:"principal_external_id"`
	PrincipalName       string `json:"principal_name,omitempty"`
}

type listIdentitiesInput struct {
	PageParams
	Search      string       `query:"q" doc:"Part of the email or name."`
	Kind        string       `query:"kind" enum:"person,service,bot"`
	ConnectorID string       `query:"connector" doc:"Linked to a live account of this connector."`
	Anchored    OptionalBool `query:"anchored" doc:"Managed by an authoritative source."`
	Privileged  OptionalBool `query:"privileged"`
	Stale       OptionalBool `query:"stale"`
	Leaver      OptionalBool `query:"leaver"`
	MFA         OptionalBool `query:"mfa"`
	Sort        string       `query:"sort" enum:"display_name,-display_name,primary_email,-primary_email,last_seen_at,-last_seen_at,accounts,-accounts,created_at,-created_at,id,-id"`
}

type identityPath struct {
	ID int64 `path:"id"`
}

func (a *Admin) registerIdentities(api huma.API) {
	tags := []string{"identities"}
	operation(a, api, huma.Operation{OperationID: "listIdentities", Method: http.MethodGet, Path: "/api/identities",
		Summary: "Search identities", Tags: tags, Errors: []int{422}}, a.listIdentities)
	operation(a, api, huma.Operation{OperationID: "getIdentity", Method: http.MethodGet, Path: "/api/identities/{id}",
		Summary: "An identity's accounts in every source, their groups and grants, events and findings", Tags: tags,
		Errors: []int{404}}, a.getIdentity)
}

func (a *Admin) listIdentities(ctx context.Context, in *listIdentitiesInput) (*body[Page[Identity]], error) {
	o := in.options(in.Sort)
	l, err := a.Store.Identities(ctx, postgres.IdentityFilter{Search: in.Search, Kind: in.Kind, ConnectorID: in.ConnectorID,
		Anchored: in.Anchored.ptr(), Privileged: in.Privileged.ptr(), Stale: in.Stale.ptr(), Leaver: in.Leaver.ptr(), MFA: in.MFA.ptr()}, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, identityOut)), nil
}

func identityOut(i postgres.Identity) Identity {
	return Identity{ID: i.ID, Kind: i.Kind, PrimaryEmail: i.PrimaryEmail, DisplayName: i.DisplayName, Status: i.Status,
		LastSeenAt: timePtr(i.LastSeenAt), Anchored: i.Anchored, Privileged: i.Privileged, MFA: i.MFA, Stale: i.Stale,
		Leaver: i.Leaver, Accounts: i.Accounts}
}

// identityEvents is how many of an identity's newest events its detail shows.
const identityEvents = 50

func (a *Admin) getIdentity(ctx context.Context, in *identityPath) (*body[IdentityDetail], error) {
	i, err := a.Store.Identity(ctx, in.ID)
	if err != nil {
		if sspm.ErrorCode(err) == sspm.CodeNotFound {
			return nil, sspm.Errorf(sspm.CodeNotFound, "identity %d not found", in.ID)
		}
		return nil, err
	}
	accts, err := a.Store.IdentityAccounts(ctx, i.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(accts))
	for n, x := range accts {
		ids[n] = x.ID
	}
	groups, err := a.Store.AccountGroups(ctx, ids)
	if err != nil {
		return nil, err
	}
	grants, err := a.Store.AccountGrants(ctx, ids)
	if err != nil {
		return nil, err
	}
	events, err := a.Store.IdentityEvents(ctx, i.ID, identityEvents)
	if err != nil {
		return nil, err
	}
	findings, err := a.Store.Findings(ctx, postgres.FindingFilter{IdentityID: i.ID}, postgres.ListOptions{Limit: 100, Sort: "-last_seen_at"})
	if err != nil {
		return nil, err
	}
	out := IdentityDetail{Identity: identityOut(i), LinkedAccounts: make([]LinkedAccount, len(accts)),
		Events: make([]EventSummary, len(events)), Findings: make([]Finding, len(findings.Items))}
	index := map[int64]int{}
	for n, x := range accts {
		index[x.ID] = n
		out.LinkedAccounts[n] = LinkedAccount{ID: x.ID, ConnectorID: x.ConnectorID, ConnectorKind: x.ConnectorKind,
			ConnectorName: x.ConnectorName, Authoritative: x.Authoritative, ExternalID: x.ExternalID, Kind: x.Kind, Email: x.Email,
			Username: x.Username, DisplayName: x.DisplayName, Status: x.Status, Active: x.Active, LastLoginAt: timePtr(x.LastLoginAt),
			MFAEnrolled: x.MFAEnrolled, IsAdmin: x.IsAdmin, Expired: !x.ExpiredAt.IsZero(), LinkReason: x.LinkReason,
			LinkedBy: x.LinkedBy, Groups: []AccountGroup{}, Grants: []AccountGrant{}}
	}
	for _, g := range groups {
		if n, ok := index[g.AccountID]; ok {
			out.LinkedAccounts[n].Groups = append(out.LinkedAccounts[n].Groups, AccountGroup{ExternalID: g.GroupExternalID,
				Name: g.GroupName, Kind: g.GroupKind, ViaGroup: g.ViaGroup})
		}
	}
	for _, g := range grants {
		if n, ok := index[g.AccountID]; ok {
			out.LinkedAccounts[n].Grants = append(out.LinkedAccounts[n].Grants, AccountGrant{ResourceID: g.ResourceID,
				ResourceExternalID: g.ResourceExternalID, ResourceName: g.ResourceName, ResourceKind: g.ResourceKind,
				Permission: g.Permission, Via: g.Via, ViaExternalID: g.ViaExternalID, PrincipalKind: g.PrincipalKind,
				PrincipalExternalID: g.PrincipalExternalID, PrincipalName: g.PrincipalName})
		}
	}
	for n, e := range events {
		out.Events[n] = eventOut(e)
	}
	for n, f := range findings.Items {
		out.Findings[n] = findingOut(f)
	}
	return bodyOf(out), nil
}
