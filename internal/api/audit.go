package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
)

// AuditEntry is who changed what, when; before and after never hold secrets.
type AuditEntry struct {
	ID         int64     `json:"id"`
	Actor      string    `json:"actor" doc:"sub: and the caller's token subject, then the caller's verified email when there is one."`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	Before     any       `json:"before,omitempty"`
	After      any       `json:"after,omitempty"`
	At         time.Time `json:"at"`
}

type listAuditInput struct {
	PageParams
	Actor      string    `query:"actor" doc:"The actor as recorded, or its subject alone (sub:...)."`
	Action     string    `query:"action" doc:"An action or its prefix: connector matches connector.create."`
	TargetType string    `query:"target_type"`
	TargetID   string    `query:"target_id"`
	Since      time.Time `query:"since"`
	Until      time.Time `query:"until"`
	Sort       string    `query:"sort" enum:"at,-at"`
}

func (a *Admin) registerAudit(api huma.API) {
	operation(a, api, huma.Operation{OperationID: "listAudit", Method: http.MethodGet, Path: "/api/audit",
		Summary: "The admin audit log, newest first", Tags: []string{"audit"}, Errors: []int{422}}, a.listAudit)
}

func (a *Admin) listAudit(ctx context.Context, in *listAuditInput) (*body[Page[AuditEntry]], error) {
	o := in.options(in.Sort)
	l, err := a.Store.AuditLog(ctx, postgres.AuditFilter{Actor: in.Actor, Action: in.Action, TargetType: in.TargetType,
		TargetID: in.TargetID, Since: in.Since, Until: in.Until}, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, func(e postgres.AuditEntry) AuditEntry {
		out := AuditEntry{ID: e.ID, Actor: e.Actor, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, At: e.At.UTC()}
		if len(e.Before) > 0 {
			_ = json.Unmarshal(e.Before, &out.Before)
		}
		if len(e.After) > 0 {
			_ = json.Unmarshal(e.After, &out.After)
		}
		return out
	})), nil
}
