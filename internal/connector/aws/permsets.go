package aws

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Admin grades of a permission set.
const (
	// GradeSuper: AdministratorAccess, or an inline statement allowing every action on every resource.
	GradeSuper = "super"
	// GradePrivileged: PowerUserAccess, IAMFullAccess, or inline IAM write actions (a path to super).
	GradePrivileged = "privileged"
)

// Managed policies that make a permission set admin-grade.
var managedGrades = map[string]string{
	"arn:aws:iam::aws:policy/AdministratorAccess": GradeSuper,
	"arn:aws:iam::aws:policy/PowerUserAccess":     GradePrivileged,
	"arn:aws:iam::aws:policy/IAMFullAccess":       GradePrivileged,
}

// permSet is a permission set with its policies, as the permission_sets stage stores it (Resource.Raw).
type permSet struct {
	ARN             string          `json:"arn"`
	Name            string          `json:"name"`
	Description     string          `json:"description,omitempty"`
	SessionDuration string          `json:"session_duration,omitempty"`
	CreatedAt       *time.Time      `json:"created_at,omitempty"`
	ManagedPolicies []managedPolicy `json:"managed_policies"`
	CustomerManaged []policyRef     `json:"customer_managed_policies"`
	InlinePolicy    json.RawMessage `json:"inline_policy,omitempty"`
	Boundary        *boundary       `json:"permissions_boundary,omitempty"`
	AdminGrade      string          `json:"admin_grade,omitempty"`
	AdminReasons    []string        `json:"admin_reasons,omitempty"`
	policiesRead    bool            // the policies were read (not only the name)
}

type managedPolicy struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

type policyRef struct {
	Name string `json:"name"`
	Path string `json:"path,omitempty"`
}

type boundary struct {
	ManagedPolicyARN string     `json:"managed_policy_arn,omitempty"`
	CustomerManaged  *policyRef `json:"customer_managed_policy,omitempty"`
}

// describe reads a permission set's name and description (cached).
func (s *Source) describe(ctx context.Context, arn string) (*permSet, error) {
	if ps, ok := s.mem.permSets[arn]; ok {
		return ps, nil
	}
	out, err := do(ctx, s.c, s.c.pace, "sso:DescribePermissionSet", func(ctx context.Context) (*ssoadmin.DescribePermissionSetOutput, error) {
		return s.c.sso.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: &s.instanceARN, PermissionSetArn: &arn}, s.c.ssoOpt(ctx))
	})
	if err != nil {
		return nil, err
	}
	ps := &permSet{ARN: arn, ManagedPolicies: []managedPolicy{}, CustomerManaged: []policyRef{}}
	if d := out.PermissionSet; d != nil {
		ps.Name, ps.Description, ps.SessionDuration = sdkaws.ToString(d.Name), sdkaws.ToString(d.Description), sdkaws.ToString(d.SessionDuration)
		if d.CreatedDate != nil {
			t := d.CreatedDate.UTC()
			ps.CreatedAt = &t
		}
	}
	if ps.Name == "" {
		ps.Name = arn
	}
	s.mem.permSets[arn] = ps
	return ps, nil
}

// permissionSet reads a permission set with its policies and grade (cached).
func (s *Source) permissionSet(ctx context.Context, arn string) (*permSet, error) {
	ps, err := s.describe(ctx, arn)
	if err != nil || ps.policiesRead {
		return ps, err
	}
	in := func() (*string, *string) { return &s.instanceARN, &arn }
	managed := []managedPolicy{}
	var token *string
	for {
		out, err := do(ctx, s.c, s.c.pace, "sso:ListManagedPoliciesInPermissionSet", func(ctx context.Context) (*ssoadmin.ListManagedPoliciesInPermissionSetOutput, error) {
			i, p := in()
			return s.c.sso.ListManagedPoliciesInPermissionSet(ctx, &ssoadmin.ListManagedPoliciesInPermissionSetInput{InstanceArn: i, PermissionSetArn: p,
				MaxResults: s.pageSize(100), NextToken: token}, s.c.ssoOpt(ctx))
		})
		if err != nil {
			return nil, err
		}
		for _, m := range out.AttachedManagedPolicies {
			managed = append(managed, managedPolicy{Name: sdkaws.ToString(m.Name), ARN: sdkaws.ToString(m.Arn)})
		}
		if token = out.NextToken; sdkaws.ToString(token) == "" {
			break
		}
	}
	customer := []policyRef{}
	token = nil
	for {
		out, err := do(ctx, s.c, s.c.pace, "sso:ListCustomerManagedPolicyReferencesInPermissionSet", func(ctx context.Context) (*ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetOutput, error) {
			i, p := in()
			return s.c.sso.ListCustomerManagedPolicyReferencesInPermissionSet(ctx, &ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetInput{InstanceArn: i, PermissionSetArn: p,
				MaxResults: s.pageSize(100), NextToken: token}, s.c.ssoOpt(ctx))
		})
		if err != nil {
			return nil, err
		}
		for _, r := range out.CustomerManagedPolicyReferences {
			customer = append(customer, policyRef{Name: sdkaws.ToString(r.Name), Path: sdkaws.ToString(r.Path)})
		}
		if token = out.NextToken; sdkaws.ToString(token) == "" {
			break
		}
	}
	inline, err := do(ctx, s.c, s.c.pace, "sso:GetInlinePolicyForPermissionSet", func(ctx context.Context) (*ssoadmin.GetInlinePolicyForPermissionSetOutput, error) {
		i, p := in()
		return s.c.sso.GetInlinePolicyForPermissionSet(ctx, &ssoadmin.GetInlinePolicyForPermissionSetInput{InstanceArn: i, PermissionSetArn: p}, s.c.ssoOpt(ctx))
	})
	if err != nil {
		return nil, err
	}
	var bound *boundary
	b, err := do(ctx, s.c, s.c.pace, "sso:GetPermissionsBoundaryForPermissionSet", func(ctx context.Context) (*ssoadmin.GetPermissionsBoundaryForPermissionSetOutput, error) {
		i, p := in()
		return s.c.sso.GetPermissionsBoundaryForPermissionSet(ctx, &ssoadmin.GetPermissionsBoundaryForPermissionSetInput{InstanceArn: i, PermissionSetArn: p}, s.c.ssoOpt(ctx))
	})
	switch {
	case err != nil && isNotFound(err): // no boundary attached
	case err != nil:
		return nil, err
	case b.PermissionsBoundary != nil:
		bound = &boundary{ManagedPolicyARN: sdkaws.ToString(b.PermissionsBoundary.ManagedPolicyArn)}
		if r := b.PermissionsBoundary.CustomerManagedPolicyReference; r != nil {
			bound.CustomerManaged = &policyRef{Name: sdkaws.ToString(r.Name), Path: sdkaws.ToString(r.Path)}
		}
	}
	ps.ManagedPolicies, ps.CustomerManaged, ps.Boundary = managed, customer, bound
	if doc := sdkaws.ToString(inline.InlinePolicy); doc != "" {
		if json.Valid([]byte(doc)) {
			ps.InlinePolicy = json.RawMessage(doc)
		} else if un, err := url.QueryUnescape(doc); err == nil && json.Valid([]byte(un)) {
			ps.InlinePolicy = json.RawMessage(un)
		} else {
			raw, _ := json.Marshal(doc)
			ps.InlinePolicy = raw
		}
	}
	ps.AdminGrade, ps.AdminReasons = grade(ps)
	ps.policiesRead = true
	return ps, nil
}

// grade says whether a permission set is admin-grade and why: AdministratorAccess or an inline `*` on `*` is
// super; PowerUserAccess, IAMFullAccess or inline IAM write actions are privileged. Customer managed policies
// are not read (their documents live in each account), so they grade nothing.
func grade(ps *permSet) (string, []string) {
	g := ""
	var reasons []string
	raise := func(to, why string) {
		if g != GradeSuper {
			if to == GradeSuper || g == "" {
				g = to
			}
		}
		reasons = append(reasons, why)
	}
	for _, m := range ps.ManagedPolicies {
		if to, ok := managedGrades[m.ARN]; ok {
			raise(to, "managed policy "+m.Name)
		}
	}
	for _, st := range statements(ps.InlinePolicy) {
		if !strings.EqualFold(st.Effect, "Allow") {
			continue
		}
		anyResource := contains(st.Resource, "*")
		for _, a := range st.Action {
			switch {
			case (a == "*" || a == "*:*") && anyResource:
				raise(GradeSuper, "inline policy allows * on *")
			case iamWrite(a):
				raise(GradePrivileged, "inline policy allows "+a)
			}
		}
	}
	return g, reasons
}

// iamWrite reports an IAM action pattern that can change permissions.
func iamWrite(a string) bool {
	l := strings.ToLower(a)
	if !strings.HasPrefix(l, "iam:") {
		return false
	}
	verb := strings.TrimPrefix(l, "iam:")
	if verb == "*" || verb == "passrole" {
		return true
	}
	for _, p := range []string{"create", "put", "attach", "detach", "update", "delete", "add", "remove", "set", "upload", "tag", "untag", "change", "reset", "enable", "deactivate"} {
		if strings.HasPrefix(verb, p) {
			return true
		}
	}
	return false
}

type statement struct {
	Effect   string
	Action   []string
	Resource []string
}

// statements reads a policy document's statements; Action and Resource may be a string or a list, Statement an
// object or a list.
func statements(doc json.RawMessage) []statement {
	if len(doc) == 0 {
		return nil
	}
	var d struct{ Statement json.RawMessage }
	if json.Unmarshal(doc, &d) != nil {
		return nil
	}
	var raws []json.RawMessage
	if json.Unmarshal(d.Statement, &raws) != nil {
		raws = []json.RawMessage{d.Statement}
	}
	var out []statement
	for _, r := range raws {
		var st struct {
			Effect           string
			Action, Resource json.RawMessage
		}
		if json.Unmarshal(r, &st) != nil {
			continue
		}
		out = append(out, statement{Effect: st.Effect, Action: strings1(st.Action), Resource: strings1(st.Resource)})
	}
	return out
}

func strings1(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// permissionSetsStep stores a page of permission sets with their policies as resources.
func (s *Source) permissionSetsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var res sspm.StepResult
	page, err := s.permissionSetPage(ctx, cursor)
	if isForbidden(err) {
		unavailable(&res, sspm.EntityResources)
		res.Message = err.Error()
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if cursor == "" {
		s.mem.psList, s.mem.psListDone, s.mem.psTrack = nil, false, true
	}
	for _, arn := range page.arns {
		ps, err := s.permissionSet(ctx, arn)
		if isForbidden(err) {
			unavailable(&res, sspm.EntityResources)
			res.Message = err.Error()
			continue
		}
		if err != nil {
			return sspm.StepResult{}, err
		}
		raw, _ := json.Marshal(ps)
		res.Page.Resources = append(res.Page.Resources, sspm.Resource{ExternalID: arn, Kind: "permission_set", Name: ps.Name, Raw: raw})
	}
	if s.mem.psTrack && res.Unavailable == nil {
		s.mem.psList = append(s.mem.psList, page.arns...)
		s.mem.psListDone = page.next == ""
	}
	res.Next = page.next
	return res, nil
}
