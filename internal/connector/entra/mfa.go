package entra

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// MFA registration comes from userRegistrationDetails (Entra ID P1 or P2, AuditLog.Read.All): each user's
// isMfaRegistered and registered methods update the account's MFA signal. A tenant without P1, or an app without
// the permission, leaves the MFA signal unknown: the stage says so and the run goes on.

// With delta on, the stage is read at most once per slowInterval (cadence.go).
func (s *Source) mfaStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	if cursor != "" && !s.isLink(cursor) {
		skip, msg, rest := s.slowSkip(cursor, "MFA registration")
		if skip {
			return sspm.StepResult{Message: msg}, nil
		}
		if cursor = rest; cursor != "" {
			return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "entra: malformed cursor")
		}
	}
	link := cursor
	if link == "" {
		link = "/reports/authenticationMethods/userRegistrationDetails?$top=999"
	}
	var res sspm.StepResult
	st := s.stepper()
	for !st.full(len(res.Page.MFA)) {
		p, err := s.readPage(ctx, "read MFA registration", link)
		st.requests++
		switch {
		case expired(err) && link != "/reports/authenticationMethods/userRegistrationDetails?$top=999":
			link = "/reports/authenticationMethods/userRegistrationDetails?$top=999"
			continue
		case nonPremium(err):
			return sspm.StepResult{Message: "MFA registration unavailable: the tenant has no Entra ID P1 (MFA state stays unknown)"}, nil
		case isForbidden(err):
			return sspm.StepResult{Message: "MFA registration unavailable: " + err.Error()}, nil
		case sspm.ErrorCode(err) == sspm.CodeUnavailable:
			// MFA is a signal on accounts already stored: a failing read ends the stage with what it read; the
			// next run reads it again.
			res.Message = "MFA registration not read to the end this run: " + err.Error()
			return res, nil
		case err != nil:
			return sspm.StepResult{}, err
		}
		for _, item := range p.Value {
			var d struct {
				ID                string   `json:"id"`
				IsMfaRegistered   bool     `json:"isMfaRegistered"`
				MethodsRegistered []string `json:"methodsRegistered"`
			}
			if err := json.Unmarshal(item, &d); err != nil || d.ID == "" {
				return sspm.StepResult{}, &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra read MFA registration: an entry without an id"}
			}
			res.Page.MFA = append(res.Page.MFA, sspm.MFAStatus{AccountExternalID: d.ID, Enrolled: d.IsMfaRegistered, Factors: d.MethodsRegistered})
		}
		if p.Next == "" {
			res.Watermark = s.slowWatermark()
			return res, nil
		}
		link = p.Next
	}
	if !strings.HasPrefix(link, "/") && !strings.HasPrefix(link, s.c.graph) {
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "entra: malformed cursor")
	}
	res.Next = link
	return res, nil
}
