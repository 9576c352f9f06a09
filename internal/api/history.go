package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

type historyStore interface {
	AccessChanges(ctx context.Context, f sspm.ChangeFilter) ([]sspm.AccessChange, error)
	PrivilegedChangesSince(ctx context.Context, since time.Time) (int64, error)
	AccessAsOf(ctx context.Context, identityID int64, at time.Time) (sspm.AccessAsOf, error)
}

// AccessChange is one recorded change to access (docs/access-history.md).
type AccessChange struct {
	ID          int64      `json:"id"`
	ConnectorID string     `json:"connector_id"`
	Entity      string     `json:"entity" enum:"account,membership,grant,credential,identity_link"`
	Change      string     `json:"change" doc:"What changed: account_added, grant_permission_changed, identity_unlinked, ..."`
	ObservedAt  time.Time  `json:"observed_at" doc:"When a sync or refresh observed it."`
	ProviderAt  *time.Time `json:"provider_at,omitempty" doc:"The provider's own time of the change, when it has one."`
	RunID       *int64     `json:"run_id,omitempty" doc:"The sync run that observed it."`
	EventID     *int64     `json:"event_id,omitempty" doc:"The event whose push-assisted refresh observed it."`

	PrincipalKind       string `json:"principal_kind" enum:"account,group"`
	PrincipalExternalID string `json:"principal_external_id"`
	PrincipalName       string `json:"principal_name,omitempty" doc:"The account's display name or email, or the group's name."`
	AccountID           *int64 `json:"account_id,omitempty"`
	IdentityID          *int64 `json:"identity_id,omitempty" doc:"The identity the account is linked to now, or the one a link change names."`
	TargetKind          string `json:"target_kind,omitempty" doc:"group, resource, credential or identity."`
	TargetExternalID    string `json:"target_external_id,omitempty"`
	TargetName          string `json:"target_name,omitempty"`
	Permission          string `json:"permission,omitempty" doc:"The grant's permission, the membership's role or the credential's scopes."`
	Via                 string `json:"via,omitempty" doc:"How the access is held: direct, group, team, ..."`
	ViaExternalID       string `json:"via_external_id,omitempty"`
	ViaName             string `json:"via_name,omitempty"`
	OldValue            string `json:"old_value,omitempty"`
	NewValue            string `json:"new_value,omitempty"`
	Privileged          bool   `json:"privileged"`
}

// ChangePage is a page of changes, newest first.
type ChangePage struct {
	Items      []AccessChange `json:"items" nullable:"false"`
	NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor for the next (older) page; absent on the last page."`
}

// ChangeFilterParams are the filters of the change list and its export.
type ChangeFilterParams struct {
	Since       time.Time `query:"since" doc:"RFC 3339; inclusive."`
	Until       time.Time `query:"until" doc:"RFC 3339; exclusive."`
	ConnectorID string    `query:"connector"`
	IdentityID  int64     `query:"identity" minimum:"0" doc:"Changes of the accounts linked to this identity now or before, and its link changes."`
	AccountID   int64     `query:"account" minimum:"0"`
	Resource    string    `query:"resource" doc:"A resource's, group's or credential's external id (the change's target)."`
	Principal   string    `query:"principal" doc:"An account's or group's external id (who holds the access)."`
	Change      []string  `query:"change,explode" doc:"Kinds of change; repeat or separate with commas."`
	Entity      []string  `query:"entity,explode" doc:"account, membership, grant, credential, identity_link."`
	Privileged  bool      `query:"privileged" doc:"Only privileged changes."`
	ID          []string  `query:"id,explode" doc:"Change ids (a finding's access_change:<id>); repeat or separate with commas."`
}

func (p ChangeFilterParams) filter() (sspm.ChangeFilter, error) {
	f := sspm.ChangeFilter{Since: p.Since, Until: p.Until, ConnectorID: p.ConnectorID, IdentityID: p.IdentityID,
		AccountID: p.AccountID, Target: p.Resource, Principal: p.Principal, PrivilegedOnly: p.Privileged}
	known := map[string]bool{}
	for _, k := range sspm.ChangeKinds {
		known[k] = true
	}
	for _, c := range splitValues(p.Change) {
		if !known[c] {
			return f, sspm.Errorf(sspm.CodeInvalid, "unknown change %q", c)
		}
		f.Changes = append(f.Changes, c)
	}
	for _, e := range splitValues(p.Entity) {
		switch sspm.ChangeEntity(e) {
		case sspm.ChangeEntityAccount, sspm.ChangeEntityMembership, sspm.ChangeEntityGrant, sspm.ChangeEntityCredential, sspm.ChangeEntityIdentityLink:
			f.Entities = append(f.Entities, e)
		default:
			return f, sspm.Errorf(sspm.CodeInvalid, "unknown entity %q", e)
		}
	}
	for _, s := range splitValues(p.ID) {
		id, err := strconv.ParseInt(strings.TrimPrefix(s, "access_change:"), 10, 64)
		if err != nil || id <= 0 {
			return f, sspm.Errorf(sspm.CodeInvalid, "bad change id %q", s)
		}
		f.IDs = append(f.IDs, id)
	}
	return f, nil
}

func splitValues(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

type listChangesInput struct {
	ChangeFilterParams
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" doc:"Rows per page."`
	Cursor string `query:"cursor" doc:"The next_cursor of the previous page."`
}

// cursor encodes the keyset position after a change: its observed time (Unix microseconds) and id.
func cursorOf(c sspm.AccessChange) string {
	return strconv.FormatInt(c.ObservedAt.UnixMicro(), 10) + "_" + strconv.FormatInt(c.ID, 10)
}

func parseCursor(s string, f *sspm.ChangeFilter) error {
	if s == "" {
		return nil
	}
	at, id, ok := strings.Cut(s, "_")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return sspm.Errorf(sspm.CodeInvalid, "cursor %q is not one this API returned", s)
	}
	f.BeforeAt, f.BeforeID = time.UnixMicro(us), n
	return nil
}

type exportChangesInput struct {
	ChangeFilterParams
	Format string `query:"format" enum:"csv,json" default:"csv"`
}

type exportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

type asOfInput struct {
	ID int64     `path:"id"`
	At time.Time `query:"at" required:"true" doc:"RFC 3339: the time to answer for."`
}

// AccessAsOf is an identity's access at a time, reconstructed from the inventory and the recorded changes.
type AccessAsOf struct {
	IdentityID   int64         `json:"identity_id"`
	At           time.Time     `json:"at"`
	HistorySince *time.Time    `json:"history_since,omitempty" doc:"The earliest time these accounts' connectors record history from; before it the answer is the first sync's state."`
	Accounts     []AccountAsOf `json:"accounts" nullable:"false"`
}

// AccountAsOf is one linked account at the time and what it held.
type AccountAsOf struct {
	AccountID   int64        `json:"account_id"`
	ConnectorID string       `json:"connector_id"`
	ExternalID  string       `json:"external_id"`
	Kind        string       `json:"kind"`
	DisplayName string       `json:"display_name"`
	Email       string       `json:"email"`
	Status      string       `json:"status"`
	IsAdmin     bool         `json:"is_admin"`
	Access      []HeldAccess `json:"access" nullable:"false"`
}

// HeldAccess is a membership, grant or credential held at the time, and how.
type HeldAccess struct {
	Entity           string `json:"entity" enum:"membership,grant,credential"`
	TargetExternalID string `json:"target_external_id"`
	TargetName       string `json:"target_name"`
	Permission       string `json:"permission"`
	Via              string `json:"via"`
	ViaExternalID    string `json:"via_external_id,omitempty"`
	ViaName          string `json:"via_name,omitempty"`
	Privileged       bool   `json:"privileged"`
}

// ChangeSummary counts recent privileged changes, for the overview.
type ChangeSummary struct {
	Since                time.Time `json:"since"`
	PrivilegedChanges    int64     `json:"privileged_changes" doc:"Privileged access changes observed in the last seven days."`
	PrivilegedChangesURL string    `json:"privileged_changes_url"`
}

// maxExportRows bounds one export: an audit asks for a period, not the whole history.
const maxExportRows = 100000

func (a *Admin) registerHistory(api huma.API) {
	tags := []string{"access history"}
	operation(a, api, huma.Operation{OperationID: "listAccessChanges", Method: http.MethodGet, Path: "/api/access-changes",
		Summary: "Recorded access changes, newest first, filtered and paged by cursor", Tags: tags, Errors: []int{422}}, a.listAccessChanges)
	operation(a, api, huma.Operation{OperationID: "exportAccessChanges", Method: http.MethodGet, Path: "/api/access-changes/export",
		Summary: "A filtered list of access changes as CSV or JSON, for audits (at most 100,000 rows)", Tags: tags, Errors: []int{422}}, a.exportAccessChanges)
	operation(a, api, huma.Operation{OperationID: "accessChangeSummary", Method: http.MethodGet, Path: "/api/access-changes/summary",
		Summary: "The count of privileged access changes of the last seven days", Tags: tags}, a.accessChangeSummary)
	operation(a, api, huma.Operation{OperationID: "getIdentityAccessAsOf", Method: http.MethodGet, Path: "/api/identities/{id}/access-as-of",
		Summary: "An identity's access at a time, reconstructed from the inventory and its history", Tags: tags, Errors: []int{404, 422}}, a.identityAccessAsOf)
}

func (a *Admin) listAccessChanges(ctx context.Context, in *listChangesInput) (*body[ChangePage], error) {
	f, err := in.filter()
	if err != nil {
		return nil, err
	}
	if err := parseCursor(in.Cursor, &f); err != nil {
		return nil, err
	}
	f.Limit = in.Limit
	if f.Limit == 0 {
		f.Limit = 50
	}
	f.Limit++ // one more tells whether another page follows
	cs, err := a.Store.AccessChanges(ctx, f)
	if err != nil {
		return nil, err
	}
	out := ChangePage{Items: []AccessChange{}}
	more := len(cs) == f.Limit
	if more {
		cs = cs[:len(cs)-1]
	}
	for _, c := range cs {
		out.Items = append(out.Items, changeOut(c))
	}
	if more && len(cs) > 0 {
		out.NextCursor = cursorOf(cs[len(cs)-1])
	}
	return bodyOf(out), nil
}

func changeOut(c sspm.AccessChange) AccessChange {
	out := AccessChange{ID: c.ID, ConnectorID: c.ConnectorID, Entity: string(c.Entity), Change: c.Change,
		ObservedAt: c.ObservedAt.UTC(), ProviderAt: timePtr(c.ProviderAt), RunID: idPtr(c.RunID), EventID: idPtr(c.EventID),
		PrincipalKind: string(c.PrincipalKind), PrincipalExternalID: c.PrincipalExternalID, AccountID: idPtr(c.AccountID),
		IdentityID: idPtr(c.IdentityID), TargetKind: c.TargetKind, TargetExternalID: c.TargetExternalID, TargetName: c.TargetName,
		Permission: c.Permission, Via: c.Via, ViaExternalID: c.ViaExternalID, ViaName: c.ViaName, OldValue: c.OldValue,
		NewValue: c.NewValue, Privileged: c.Privileged}
	if out.ProviderAt != nil {
		t := out.ProviderAt.UTC()
		out.ProviderAt = &t
	}
	switch {
	case c.PrincipalKind == sspm.MemberGroup:
		out.PrincipalName = c.PrincipalName
	case c.AccountDisplay != "":
		out.PrincipalName = c.AccountDisplay
	default:
		out.PrincipalName = c.AccountEmail
	}
	if c.LinkIdentityID != 0 {
		out.IdentityID = idPtr(c.LinkIdentityID)
	}
	return out
}

func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func (a *Admin) exportAccessChanges(ctx context.Context, in *exportChangesInput) (*exportOutput, error) {
	f, err := in.filter()
	if err != nil {
		return nil, err
	}
	var rows []AccessChange
	for len(rows) < maxExportRows {
		f.Limit = min(1000, maxExportRows-len(rows))
		cs, err := a.Store.AccessChanges(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			rows = append(rows, changeOut(c))
		}
		if len(cs) < f.Limit {
			break
		}
		last := cs[len(cs)-1]
		f.BeforeAt, f.BeforeID = last.ObservedAt, last.ID
	}
	name := "access-changes-" + a.now().UTC().Format("20060102T150405Z")
	if in.Format == "json" {
		b, err := json.Marshal(rows)
		if err != nil {
			return nil, fmt.Errorf("encode export: %w", err)
		}
		if rows == nil {
			b = []byte("[]")
		}
		return &exportOutput{ContentType: "application/json", ContentDisposition: `attachment; filename="` + name + `.json"`, Body: b}, nil
	}
	b, err := changesCSV(rows)
	if err != nil {
		return nil, err
	}
	return &exportOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `.csv"`, Body: b}, nil
}

// changeCSVHeader is the CSV export's header row.
var changeCSVHeader = []string{"id", "observed_at", "provider_at", "connector_id", "entity", "change", "privileged",
	"principal_kind", "principal_external_id", "principal_name", "account_id", "identity_id", "target_kind",
	"target_external_id", "target_name", "permission", "via", "via_external_id", "via_name", "old_value", "new_value",
	"run_id", "event_id"}

func changesCSV(rows []AccessChange) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(changeCSVHeader)
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, c := range rows {
		provider := ""
		if c.ProviderAt != nil {
			provider = c.ProviderAt.Format(time.RFC3339Nano)
		}
		rec := []string{strconv.FormatInt(c.ID, 10), c.ObservedAt.Format(time.RFC3339Nano), provider, c.ConnectorID,
			c.Entity, c.Change, strconv.FormatBool(c.Privileged), c.PrincipalKind, c.PrincipalExternalID, c.PrincipalName,
			opt(c.AccountID), opt(c.IdentityID), c.TargetKind, c.TargetExternalID, c.TargetName, c.Permission, c.Via,
			c.ViaExternalID, c.ViaName, c.OldValue, c.NewValue, opt(c.RunID), opt(c.EventID)}
		for i, v := range rec {
			rec[i] = csvSafe(v)
		}
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("encode export: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("encode export: %w", err)
	}
	return buf.Bytes(), nil
}

// csvSafe keeps a spreadsheet from reading a provider-controlled value (a group name) as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (a *Admin) accessChangeSummary(ctx context.Context, _ *struct{}) (*body[ChangeSummary], error) {
	since := a.now().Add(-7 * 24 * time.Hour).UTC()
	n, err := a.Store.PrivilegedChangesSince(ctx, since)
	if err != nil {
		return nil, err
	}
	return bodyOf(ChangeSummary{Since: since, PrivilegedChanges: n,
		PrivilegedChangesURL: "/api/access-changes?privileged=true&since=" + since.Format(time.RFC3339)}), nil
}

func (a *Admin) identityAccessAsOf(ctx context.Context, in *asOfInput) (*body[AccessAsOf], error) {
	r, err := a.Store.AccessAsOf(ctx, in.ID, in.At)
	if err != nil {
		return nil, err
	}
	out := AccessAsOf{IdentityID: r.IdentityID, At: r.At.UTC(), HistorySince: timePtr(r.HistorySince), Accounts: []AccountAsOf{}}
	for _, acc := range r.Accounts {
		o := AccountAsOf{AccountID: acc.AccountID, ConnectorID: acc.ConnectorID, ExternalID: acc.ExternalID, Kind: acc.Kind,
			DisplayName: acc.DisplayName, Email: acc.Email, Status: acc.Status, IsAdmin: acc.IsAdmin, Access: []HeldAccess{}}
		for _, h := range acc.Access {
			o.Access = append(o.Access, HeldAccess{Entity: string(h.Entity), TargetExternalID: h.TargetExternalID,
				TargetName: h.TargetName, Permission: h.Permission, Via: h.Via, ViaExternalID: h.ViaExternalID,
				ViaName: h.ViaName, Privileged: h.Privileged})
		}
		out.Accounts = append(out.Accounts, o)
	}
	return bodyOf(out), nil
}
