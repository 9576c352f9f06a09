package aws

import (
	"context"
	"encoding/json"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Grant ways.
const (
	ViaDirect = "direct"
	ViaGroup  = "group"
)

// assignCursor is where the assignments stage is: the ListPermissionSets page (its token), the permission set's
// index in it, and the next page of the set's accounts.
type assignCursor struct {
	PageToken    string `json:"pt,omitempty"`
	Index        int    `json:"i,omitempty"`
	AccountToken string `json:"at,omitempty"`
}

// assignmentsStep reads one page of the accounts a permission set is provisioned to: the accounts as resources,
// and the users assigned the set there directly as grants (groups' assignments are the groups stage's).
func (s *Source) assignmentsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var res sspm.StepResult
	var cur assignCursor
	if cursor != "" {
		if err := json.Unmarshal([]byte(cursor), &cur); err != nil {
			return res, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: assignments cursor is malformed")
		}
	}
	page, err := s.permissionSetPage(ctx, cur.PageToken)
	if isForbidden(err) {
		unavailable(&res, sspm.EntityResources, sspm.EntityGrants)
		res.Message = err.Error()
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if cur.Index >= len(page.arns) {
		if page.next != "" {
			res.Next = encodeCursor(assignCursor{PageToken: page.next})
		}
		return res, nil
	}
	arn := page.arns[cur.Index]
	next := assignCursor{PageToken: cur.PageToken, Index: cur.Index + 1}
	if err := s.assignmentsOf(ctx, arn, &cur, &next, &res); err != nil {
		return sspm.StepResult{}, err
	}
	if next.Index >= len(page.arns) && next.AccountToken == "" {
		if page.next == "" {
			return res, nil
		}
		next = assignCursor{PageToken: page.next}
	}
	res.Next = encodeCursor(next)
	return res, nil
}

// assignmentsOf reads one page of a permission set's accounts and their direct user assignments into res;
// next keeps the accounts' next page when there is one.
func (s *Source) assignmentsOf(ctx context.Context, arn string, cur, next *assignCursor, res *sspm.StepResult) error {
	ps, err := s.describe(ctx, arn)
	if isForbidden(err) {
		unavailable(res, sspm.EntityResources, sspm.EntityGrants)
		res.Message = err.Error()
		return nil
	}
	if err != nil {
		return err
	}
	admin := s.isAdminGrade(ctx, arn)
	out, err := do(ctx, s.c, s.c.pace, "sso:ListAccountsForProvisionedPermissionSet", func(ctx context.Context) (*ssoadmin.ListAccountsForProvisionedPermissionSetOutput, error) {
		return s.c.sso.ListAccountsForProvisionedPermissionSet(ctx, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{InstanceArn: &s.instanceARN,
			PermissionSetArn: &arn, MaxResults: s.pageSize(100), NextToken: optToken(cur.AccountToken)}, s.c.ssoOpt(ctx))
	})
	if isForbidden(err) {
		unavailable(res, sspm.EntityResources, sspm.EntityGrants)
		res.Message = err.Error()
		return nil
	}
	if err != nil {
		return err
	}
	if t := sdkaws.ToString(out.NextToken); t != "" && t != cur.AccountToken {
		*next = assignCursor{PageToken: cur.PageToken, Index: cur.Index, AccountToken: t}
	}
	for _, acc := range out.AccountIds {
		raw, _ := json.Marshal(map[string]string{"account_id": acc})
		res.Page.Resources = append(res.Page.Resources, sspm.Resource{ExternalID: acc, Kind: "aws_account", Name: acc, Raw: raw})
		principals, err := s.accountAssignments(ctx, arn, acc)
		if isForbidden(err) {
			unavailable(res, sspm.EntityGrants)
			res.Message = err.Error()
			continue
		}
		if err != nil {
			return err
		}
		for _, p := range principals {
			if p.kind == "USER" {
				res.Page.Grants = append(res.Page.Grants, sspm.Grant{PrincipalExternalID: p.id, PrincipalKind: sspm.MemberAccount,
					ResourceExternalID: acc, Permission: ps.Name, Via: ViaDirect})
			}
		}
		if admin {
			s.mem.adminAssigned[arn+"|"+acc] = principals
		}
	}
	if admin { // remember the set's accounts when this Source read them from the first page to the last
		if cur.AccountToken == "" {
			s.mem.partialAccounts[arn] = []string{}
		}
		if list, ok := s.mem.partialAccounts[arn]; ok {
			list = append(list, out.AccountIds...)
			s.mem.partialAccounts[arn] = list
			if next.AccountToken == "" {
				s.mem.adminAccounts[arn] = list
				delete(s.mem.partialAccounts, arn)
			}
		}
	}
	return nil
}

// accountAssignments lists the principals assigned a permission set in an account.
func (s *Source) accountAssignments(ctx context.Context, arn, account string) ([]principalRef, error) {
	if ps, ok := s.mem.adminAssigned[arn+"|"+account]; ok {
		return ps, nil
	}
	var out []principalRef
	var token *string
	for {
		page, err := do(ctx, s.c, s.c.pace, "sso:ListAccountAssignments", func(ctx context.Context) (*ssoadmin.ListAccountAssignmentsOutput, error) {
			return s.c.sso.ListAccountAssignments(ctx, &ssoadmin.ListAccountAssignmentsInput{InstanceArn: &s.instanceARN, AccountId: &account,
				PermissionSetArn: &arn, MaxResults: s.pageSize(100), NextToken: token}, s.c.ssoOpt(ctx))
		})
		if err != nil {
			return nil, err
		}
		for _, a := range page.AccountAssignments {
			out = append(out, principalRef{kind: string(a.PrincipalType), id: sdkaws.ToString(a.PrincipalId)})
		}
		if token = page.NextToken; sdkaws.ToString(token) == "" {
			return out, nil
		}
	}
}

// isAdminGrade reports whether a permission set is admin-grade; policies that cannot be read count as not.
func (s *Source) isAdminGrade(ctx context.Context, arn string) bool {
	ps, err := s.permissionSet(ctx, arn)
	return err == nil && ps.AdminGrade != ""
}

// principalAssignments lists a principal's account assignments (every page).
func (s *Source) principalAssignments(ctx context.Context, kind ssotypes.PrincipalType, id string) ([]ssotypes.AccountAssignmentForPrincipal, error) {
	var out []ssotypes.AccountAssignmentForPrincipal
	var token *string
	for {
		page, err := do(ctx, s.c, s.c.pace, "sso:ListAccountAssignmentsForPrincipal", func(ctx context.Context) (*ssoadmin.ListAccountAssignmentsForPrincipalOutput, error) {
			return s.c.sso.ListAccountAssignmentsForPrincipal(ctx, &ssoadmin.ListAccountAssignmentsForPrincipalInput{InstanceArn: &s.instanceARN,
				PrincipalId: &id, PrincipalType: kind, MaxResults: s.pageSize(100), NextToken: token}, s.c.ssoOpt(ctx))
		})
		if err != nil {
			return nil, err
		}
		out = append(out, page.AccountAssignments...)
		if token = page.NextToken; sdkaws.ToString(token) == "" {
			return out, nil
		}
	}
}

func encodeCursor(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

type (
	ssoadminListAccountsInput  = ssoadmin.ListAccountsForProvisionedPermissionSetInput
	ssoadminListAccountsOutput = ssoadmin.ListAccountsForProvisionedPermissionSetOutput
)
