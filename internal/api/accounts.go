package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
)

// Account is a principal of one source and how it is linked.
type Account struct {
	ID           int64      `json:"id"`
	ConnectorID  string     `json:"connector_id"`
	ExternalID   string     `json:"external_id"`
	Kind         string     `json:"kind"`
	Email        string     `json:"email"`
	Username     string     `json:"username"`
	DisplayName  string     `json:"display_name"`
	Status       string     `json:"status"`
	Active       bool       `json:"active"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
	MFAEnrolled  *bool      `json:"mfa_enrolled,omitempty"`
	IsAdmin      bool       `json:"is_admin"`
	FirstSeenAt  time.Time  `json:"first_seen_at"`
	Expired      bool       `json:"expired"`
	IdentityID   *int64     `json:"identity_id,omitempty"`
	LinkReason   string     `json:"link_reason,omitempty" doc:"authoritative, auto_email or manual; manual without an identity means deliberately unlinked."`
	LinkedBy     string     `json:"linked_by,omitempty"`
	Anchored     bool       `json:"anchored" doc:"Its identity is anchored by an authoritative source."`
	AnchorReason string     `json:"anchor_reason,omitempty" enum:"unlinked_by_hand,service_account,identity_not_anchored,guest,no_email,email_matches_no_identity,several_candidates,awaiting_linking" doc:"Why no anchored identity claims it; absent when one does. identity_not_anchored: linked by hand to an identity no authoritative source has; guest: a guest of the tenant (Entra userType Guest), someone else's person, never linked automatically; email_matches_no_identity and several_candidates count anchored identities with its email; awaiting_linking: one has it, the next linking run links it."`
}

// IdentitySuggestion is an identity likely to own an account, and why.
type IdentitySuggestion struct {
	ID           int64    `json:"id"`
	DisplayName  string   `json:"display_name"`
	PrimaryEmail string   `json:"primary_email"`
	Anchored     bool     `json:"anchored"`
	Reasons      []string `json:"reasons" nullable:"false" doc:"same_name, email_local_part (its email's local part is the account's email local part or username), known_alias (another account of it has the account's email or username)."`
}

// LinkInput names the identity to link an account to.
type LinkInput struct {
	IdentityID int64 `json:"identity_id" minimum:"1"`
}

// AccountFilters narrow a connector's accounts.
type AccountFilters struct {
	Search string       `query:"q" doc:"Part of the email, name, username or external id."`
	Kind   string       `query:"kind" enum:"user,service_account,service_principal,bot,role"`
	Sort   string       `query:"sort" enum:"external_id,-external_id,display_name,-display_name,email,-email,last_login_at,-last_login_at,first_seen_at,-first_seen_at"`
	Active OptionalBool `query:"active"`
	Admin  OptionalBool `query:"admin"`
	MFA    OptionalBool `query:"mfa"`
}

type listAccountsInput struct {
	ConnectorPath
	PageParams
	AccountFilters
	Linked         OptionalBool `query:"linked" doc:"Linked to an identity."`
	IncludeExpired bool         `query:"include_expired" doc:"Also accounts the source no longer has."`
}

type needsAnchorInput struct {
	ConnectorPath
	PageParams
	AccountFilters
}

// AccountPath names an account of a connector.
type AccountPath struct {
	ConnectorPath
	ExternalID string `path:"external_id" doc:"The account's id in the source (percent-encoded)."`
}

func (a *Admin) registerAccounts(api huma.API) {
	tags := []string{"accounts"}
	operation(a, api, huma.Operation{OperationID: "listAccounts", Method: http.MethodGet, Path: "/api/connectors/{id}/accounts",
		Summary: "A connector's accounts", Tags: tags, Errors: []int{404, 422}}, a.listAccounts)
	operation(a, api, huma.Operation{OperationID: "listNeedsAnchor", Method: http.MethodGet, Path: "/api/connectors/{id}/needs-anchor",
		Summary: "A connector's live accounts no anchored identity claims", Tags: tags, Errors: []int{404, 422}}, a.listNeedsAnchor)
	operation(a, api, huma.Operation{OperationID: "suggestIdentities", Method: http.MethodGet, Path: "/api/connectors/{id}/accounts/{external_id}/suggestions",
		Summary: "Identities likely to own an account", Tags: tags, Errors: []int{404}}, a.suggestIdentities)
	operation(a, api, huma.Operation{OperationID: "linkAccount", Method: http.MethodPut, Path: "/api/connectors/{id}/accounts/{external_id}/link",
		Summary: "Link an account to an identity by hand (or re-point its link)", Description: "A manual link is never changed by a sync.",
		Tags: tags, DefaultStatus: http.StatusNoContent, Errors: []int{404, 422}}, a.linkAccount)
	operation(a, api, huma.Operation{OperationID: "unlinkAccount", Method: http.MethodPost, Path: "/api/connectors/{id}/accounts/{external_id}/unlink",
		Summary: "Unlink an account for good", Description: "Syncs never link it again until someone links it or clears the decision.",
		Tags: tags, DefaultStatus: http.StatusNoContent, Errors: []int{404}}, a.unlinkAccount)
	operation(a, api, huma.Operation{OperationID: "clearAccountLink", Method: http.MethodDelete, Path: "/api/connectors/{id}/accounts/{external_id}/link",
		Summary: "Forget a manual link or unlink", Description: "The next linking run links the account by email again.",
		Tags: tags, DefaultStatus: http.StatusNoContent, Errors: []int{404, 409}}, a.clearAccountLink)
}

func (a *Admin) listAccounts(ctx context.Context, in *listAccountsInput) (*body[Page[Account]], error) {
	return a.accounts(ctx, in.ID, in.PageParams, in.AccountFilters, postgres.AccountFilter{Linked: in.Linked.ptr(), IncludeExpired: in.IncludeExpired})
}

func (a *Admin) listNeedsAnchor(ctx context.Context, in *needsAnchorInput) (*body[Page[Account]], error) {
	return a.accounts(ctx, in.ID, in.PageParams, in.AccountFilters, postgres.AccountFilter{NeedsAnchor: true})
}

func (a *Admin) accounts(ctx context.Context, connectorID string, p PageParams, f AccountFilters, base postgres.AccountFilter) (*body[Page[Account]], error) {
	if _, err := a.Store.Connector(ctx, connectorID); err != nil {
		return nil, connectorNotFound(err, connectorID)
	}
	o := p.options(f.Sort)
	base.Search, base.Kind, base.Active, base.Admin, base.MFA = f.Search, f.Kind, f.Active.ptr(), f.Admin.ptr(), f.MFA.ptr()
	l, err := a.Store.Accounts(ctx, connectorID, base, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, accountOut)), nil
}

func accountOut(r postgres.AccountRow) Account {
	return Account{ID: r.ID, ConnectorID: r.ConnectorID, ExternalID: r.ExternalID, Kind: r.Kind, Email: r.Email, Username: r.Username,
		DisplayName: r.DisplayName, Status: r.Status, Active: r.Active, LastLoginAt: timePtr(r.LastLoginAt), MFAEnrolled: r.MFAEnrolled,
		IsAdmin: r.IsAdmin, FirstSeenAt: r.FirstSeenAt.UTC(), Expired: !r.ExpiredAt.IsZero(), IdentityID: r.IdentityID,
		LinkReason: r.LinkReason, LinkedBy: r.LinkedBy, Anchored: r.Anchored, AnchorReason: r.AnchorReason}
}

// maxSuggestions bounds the identities suggested for an account.
const maxSuggestions = 10

func (a *Admin) suggestIdentities(ctx context.Context, in *AccountPath) (*body[[]IdentitySuggestion], error) {
	if _, err := a.Store.Connector(ctx, in.ID); err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	rows, err := a.Store.AccountSuggestions(ctx, in.ID, in.ExternalID, maxSuggestions)
	if err != nil {
		return nil, err
	}
	out := make([]IdentitySuggestion, len(rows))
	for i, r := range rows {
		out[i] = IdentitySuggestion{ID: r.ID, DisplayName: r.DisplayName, PrimaryEmail: r.PrimaryEmail, Anchored: r.Anchored, Reasons: r.Reasons}
	}
	return bodyOf(out), nil
}

func (a *Admin) linkAccount(ctx context.Context, in *struct {
	AccountPath
	Body LinkInput
}) (*struct{}, error) {
	id := in.Body.IdentityID
	if err := a.Store.SetManualLinkAudited(ctx, in.ID, in.ExternalID, &id, actor(ctx)); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (a *Admin) unlinkAccount(ctx context.Context, in *AccountPath) (*struct{}, error) {
	if err := a.Store.SetManualLinkAudited(ctx, in.ID, in.ExternalID, nil, actor(ctx)); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (a *Admin) clearAccountLink(ctx context.Context, in *AccountPath) (*struct{}, error) {
	if err := a.Store.ClearManualLinkAudited(ctx, in.ID, in.ExternalID, actor(ctx)); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
