package aws

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// usersCursor is the users stage's place: the ListUsers token and the users an admin-grade permission set
// reaches (found on the first page, carried to the next ones).
type usersCursor struct {
	Token  string   `json:"t,omitempty"`
	Admins []string `json:"a,omitempty"`
	// Partial: some assignments or memberships could not be read; the admin flags may miss someone.
	Partial bool `json:"p,omitempty"`
}

// usersStep reads a page of users as accounts, flagged admin when an admin-grade permission set is assigned to
// them directly or to one of their groups.
func (s *Source) usersStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var res sspm.StepResult
	var cur usersCursor
	if cursor == "" {
		admins, err := s.adminUsers(ctx, &res)
		if err != nil {
			return res, err
		}
		cur.Admins, cur.Partial = admins, res.Unavailable != nil
	} else if err := json.Unmarshal([]byte(cursor), &cur); err != nil {
		return res, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: users cursor is malformed")
	}
	out, err := do(ctx, s.c, s.c.pace, "identitystore:ListUsers", func(ctx context.Context) (*identitystore.ListUsersOutput, error) {
		return s.c.is.ListUsers(ctx, &identitystore.ListUsersInput{IdentityStoreId: &s.storeID, MaxResults: s.pageSize(100), NextToken: optToken(cur.Token)}, s.c.isOpt(ctx))
	})
	if isForbidden(err) {
		unavailable(&res, sspm.EntityAccounts)
		res.Message = err.Error()
		return res, nil
	}
	if err != nil {
		return res, err
	}
	for _, u := range out.Users {
		a, err := account(u, cur.Admins)
		if err != nil {
			return sspm.StepResult{}, err
		}
		res.Page.Accounts = append(res.Page.Accounts, a)
	}
	if cur.Partial {
		res.Message = joinMessages(res.Message, "admin flags may be incomplete: some assignments or memberships could not be read")
	}
	if next := sdkaws.ToString(out.NextToken); next != "" && next != cur.Token {
		res.Next = encodeCursor(usersCursor{Token: next, Admins: cur.Admins, Partial: cur.Partial})
	}
	return res, nil
}

// account maps an Identity Store user.
func account(u istypes.User, admins []string) (sspm.Account, error) {
	id := sdkaws.ToString(u.UserId)
	if id == "" {
		return sspm.Account{}, sspm.Errorf(sspm.CodeUnavailable, "aws_identity_center identitystore:ListUsers: a user without UserId")
	}
	email := ""
	for _, e := range u.Emails {
		if e.Primary {
			email = sdkaws.ToString(e.Value)
			break
		}
	}
	if email == "" && len(u.Emails) > 0 {
		email = sdkaws.ToString(u.Emails[0].Value)
	}
	name := sdkaws.ToString(u.UserName)
	if email == "" && strings.Contains(name, "@") {
		email = name
	}
	display := sdkaws.ToString(u.DisplayName)
	if display == "" && u.Name != nil {
		display = sdkaws.ToString(u.Name.Formatted)
		if display == "" {
			display = strings.TrimSpace(sdkaws.ToString(u.Name.GivenName) + " " + sdkaws.ToString(u.Name.FamilyName))
		}
	}
	status := string(u.UserStatus)
	if status == "" {
		status = "UNKNOWN"
	}
	ts := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.UTC()
	}
	raw, _ := json.Marshal(map[string]any{"user_id": id, "user_name": name, "display_name": display, "user_status": string(u.UserStatus),
		"user_type": sdkaws.ToString(u.UserType), "title": sdkaws.ToString(u.Title), "external_ids": externalIDs(u.ExternalIds),
		"created_at": ts(u.CreatedAt), "updated_at": ts(u.UpdatedAt)})
	_, admin := slices.BinarySearch(admins, id)
	return sspm.Account{ExternalID: id, Kind: sspm.AccountUser, Email: strings.ToLower(email), Username: name, DisplayName: display,
		Status: status, Active: u.UserStatus != istypes.UserStatusDisabled, IsAdmin: admin, Raw: raw}, nil
}

// adminUsers finds the users an admin-grade permission set reaches: assigned directly, or to a group they are in.
// It uses what the earlier stages of this Source read, and reads the rest. Listings it may not read are marked on
// res (as those stages mark them) and leave the answer partial.
func (s *Source) adminUsers(ctx context.Context, res *sspm.StepResult) ([]string, error) {
	arns, err := s.allPermissionSets(ctx)
	if isForbidden(err) {
		unavailable(res, sspm.EntityResources, sspm.EntityGrants)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	users := map[string]bool{}
	groups := map[string]bool{}
	for _, arn := range arns {
		ps, err := s.permissionSet(ctx, arn)
		if isForbidden(err) {
			unavailable(res, sspm.EntityResources)
			continue
		}
		if err != nil {
			return nil, err
		}
		if ps.AdminGrade == "" {
			continue
		}
		accounts, err := s.adminAccountsOf(ctx, arn)
		if isForbidden(err) {
			unavailable(res, sspm.EntityResources, sspm.EntityGrants)
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, acc := range accounts {
			principals, err := s.accountAssignments(ctx, arn, acc)
			if isForbidden(err) {
				unavailable(res, sspm.EntityGrants)
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, p := range principals {
				if p.kind == "USER" {
					users[p.id] = true
				} else {
					groups[p.id] = true
				}
			}
		}
	}
	for g := range groups {
		members, err := s.groupMembers(ctx, g)
		if isForbidden(err) {
			unavailable(res, sspm.EntityGroupMembers, sspm.EntityGrants)
			continue
		}
		if isNotFound(err) { // deleted since it was assigned
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			users[m] = true
		}
	}
	out := make([]string, 0, len(users))
	for u := range users {
		out = append(out, u)
	}
	sort.Strings(out)
	return out, nil
}

// adminAccountsOf lists the accounts an admin-grade permission set is provisioned to.
func (s *Source) adminAccountsOf(ctx context.Context, arn string) ([]string, error) {
	if list, ok := s.mem.adminAccounts[arn]; ok {
		return list, nil
	}
	var out []string
	var token *string
	for {
		page, err := do(ctx, s.c, s.c.pace, "sso:ListAccountsForProvisionedPermissionSet", func(ctx context.Context) (*ssoadminListAccountsOutput, error) {
			return s.c.sso.ListAccountsForProvisionedPermissionSet(ctx, &ssoadminListAccountsInput{InstanceArn: &s.instanceARN,
				PermissionSetArn: &arn, MaxResults: s.pageSize(100), NextToken: token}, s.c.ssoOpt(ctx))
		})
		if err != nil {
			return nil, err
		}
		out = append(out, page.AccountIds...)
		if token = page.NextToken; sdkaws.ToString(token) == "" {
			s.mem.adminAccounts[arn] = out
			return out, nil
		}
	}
}
