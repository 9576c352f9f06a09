package okta

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// factorsPerStep is how many users' factors one step reads.
const factorsPerStep = 100

// factorsStep reads users' factors (one request per user) → MFA signals, within factor_budget requests per run.
// The walk continues from where the previous run stopped (the stage's watermark) and wraps around the user
// list, so every active user is read once every ceil(users / budget) runs. It never fails the run: a read that
// fails ends the stage early with a message, and the next run continues from there.
func (s *Source) factorsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur factorCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	if s.factorBudget == 0 {
		res.Message = "factor reads are off (factor_budget is 0)"
		return res, nil
	}
	if cur.Start == nil { // the first step of this run: the cursor is the previous run's watermark
		start := cur.Pos
		cur = factorCursor{Pos: start, Start: &start}
	}
	finish := func(msg string) (sspm.StepResult, error) {
		res.Next, res.Watermark = "", encodeCursor(factorCursor{Pos: cur.Pos})
		res.Message = joinMessages(fmt.Sprintf("read the factors of %d users this run", cur.Used), msg)
		return res, nil
	}
	fromTop := cur.Start.Page == "" && cur.Start.Index == 0
	for reads := 0; ; {
		if cur.Used >= s.factorBudget {
			return finish("")
		}
		if cur.Wrapped && cur.Pos.Page == cur.Start.Page && cur.Pos.Index >= cur.Start.Index {
			return finish("") // every user once
		}
		up, err := s.userPage(ctx, cur.Pos.Page)
		if err != nil {
			if ctx.Err() != nil {
				return sspm.StepResult{}, err
			}
			if rawhttp.StatusOf(err) == 400 { // the stored position is no longer valid: start over next run
				cur.Pos = listPos{}
			}
			return finish("factor reads stopped: " + err.Error())
		}
		if cur.Pos.Index >= len(up.ids) {
			switch {
			case up.next != "":
				cur.Pos = listPos{Page: up.next}
			case fromTop || cur.Wrapped:
				cur.Pos = listPos{}
				return finish("")
			default:
				cur.Pos, cur.Wrapped = listPos{}, true
			}
			continue
		}
		if reads == factorsPerStep {
			res.Next = encodeCursor(cur)
			return res, nil
		}
		uid := up.ids[cur.Pos.Index]
		m, err := s.userFactors(ctx, uid)
		cur.Used++
		reads++
		switch {
		case rawhttp.StatusOf(err) == 404: // deleted since listed
		case err != nil:
			if ctx.Err() != nil {
				return sspm.StepResult{}, err
			}
			return finish("factor reads stopped: " + err.Error())
		default:
			res.Page.MFA = append(res.Page.MFA, m)
		}
		cur.Pos.Index++
	}
}

// userPage returns the active users of a page of the users listing, from this invocation's users stage when
// it ran, else from the API.
func (s *Source) userPage(ctx context.Context, token string) (userPage, error) {
	if up, ok := s.mem.userPages[token]; ok {
		return up, nil
	}
	if l := s.mem.lastUserPage; l != nil && l.token == token {
		return l.page, nil
	}
	p, err := s.listUsers(ctx, usersAll, token)
	if err != nil {
		return userPage{}, err
	}
	up := userPage{next: p.next}
	for _, item := range p.items {
		f, err := fields(item, "id", "status")
		if err != nil || str(f[0]) == "" {
			return userPage{}, errors.New("okta list users: a user without id")
		}
		if activeStatus(str(f[1])) {
			up.ids = append(up.ids, str(f[0]))
		}
	}
	s.mem.keepUserPage(token, up)
	s.mem.lastUserPage = &struct {
		token string
		page  userPage
	}{token, up}
	return up, nil
}

// userFactors reads a user's factors: enrolled when any factor is ACTIVE.
func (s *Source) userFactors(ctx context.Context, userID string) (sspm.MFAStatus, error) {
	p, err := s.c.list(ctx, "list user factors", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.UserFactorAPI.ListFactors(ctx, userID).Execute() // unpaged
		return resp, err
	})
	if err != nil {
		return sspm.MFAStatus{}, err
	}
	m := sspm.MFAStatus{AccountExternalID: userID}
	for _, item := range p.items {
		f, err := fields(item, "factorType", "status")
		if err != nil {
			return sspm.MFAStatus{}, sspm.Errorf(sspm.CodeUnavailable, "okta list user factors: %v", err)
		}
		if typ := str(f[0]); typ != "" && str(f[1]) == "ACTIVE" && !slices.Contains(m.Factors, typ) {
			m.Factors = append(m.Factors, typ)
		}
	}
	slices.Sort(m.Factors)
	m.Enrolled = len(m.Factors) > 0
	return m, nil
}
