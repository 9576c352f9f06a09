package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type findingActionStore interface {
	SetFindingStatus(ctx context.Context, id int64, c sspm.FindingStatusChange, now time.Time) error
}

// FindingStatusChange is an admin's decision on a finding: suppress it or accept its risk (both need a reason and
// may expire), resolve it, or reopen it.
type FindingStatusChange struct {
	Status string     `json:"status" enum:"open,resolved,suppressed,accepted_risk"`
	Reason string     `json:"reason,omitempty" maxLength:"2000" doc:"Why; required to suppress or accept the risk."`
	Until  *time.Time `json:"until,omitempty" doc:"When a suppression or accepted risk expires and the finding reopens."`
}

type setFindingStatusInput struct {
	ID   int64 `path:"id"`
	Body FindingStatusChange
}

func (a *Admin) registerFindingActions(api huma.API) {
	operation(a, api, huma.Operation{OperationID: "setFindingStatus", Method: http.MethodPost, Path: "/api/findings/{id}/status",
		Summary: "Suppress, accept the risk of, resolve or reopen a finding", Tags: []string{"findings"},
		Errors: []int{404, 422}}, a.setFindingStatus)
}

func (a *Admin) setFindingStatus(ctx context.Context, in *setFindingStatusInput) (*body[Finding], error) {
	c := in.Body
	now := a.now()
	var until time.Time
	if c.Until != nil {
		until = *c.Until
		if c.Status != string(sspm.FindingSuppressed) && c.Status != string(sspm.FindingAcceptedRisk) {
			return nil, sspm.Errorf(sspm.CodeInvalid, "only a suppression or an accepted risk can expire")
		}
		if !until.After(now) {
			return nil, sspm.Errorf(sspm.CodeInvalid, "the expiry must be in the future")
		}
	}
	before, err := a.Store.Finding(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if err := a.Store.SetFindingStatus(ctx, in.ID, sspm.FindingStatusChange{Status: sspm.FindingStatus(c.Status),
		Reason: c.Reason, Until: until, By: actor(ctx)}, now); err != nil {
		return nil, err
	}
	after, err := a.Store.Finding(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	type state struct {
		Status string     `json:"status"`
		Reason string     `json:"reason,omitempty"`
		Until  *time.Time `json:"until,omitempty"`
	}
	if err := a.Store.RecordAudit(ctx, postgres.Audit{Actor: actor(ctx), Action: "finding.status", TargetType: "finding",
		TargetID: strconv.FormatInt(in.ID, 10),
		Before:   state{Status: before.Status, Reason: before.StatusReason, Until: timePtr(before.StatusUntil)},
		After:    state{Status: after.Status, Reason: after.StatusReason, Until: timePtr(after.StatusUntil)}}); err != nil {
		return nil, err
	}
	return bodyOf(findingOut(after)), nil
}
