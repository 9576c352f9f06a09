package aws

import (
	"context"
	"fmt"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// memory is what a Source learned in this invocation, to save requests. A Source that resumes someone else's
// cursor starts empty and reads again what it needs.
type memory struct {
	permSets map[string]*permSet // by ARN
	// psList holds every permission set ARN when the permission_sets stage ran whole in this Source.
	psList     []string
	psListDone bool
	psTrack    bool              // the stage started from its first page in this Source
	psPages    map[string]psPage // ListPermissionSets pages by token
	// Of admin-grade permission sets: the accounts they are provisioned to, the principals assigned there.
	adminAccounts   map[string][]string       // permission set → accounts, when read whole
	partialAccounts map[string][]string       // … while being read
	adminAssigned   map[string][]principalRef // permission set + "|" + account → principals
	// members of the groups an admin-grade set is assigned to (read by the groups stage).
	members map[string][]string
	// groupPages holds the ListGroups page the groups stage is cutting into steps.
	groupPages map[string]*identitystore.ListGroupsOutput
}

type psPage struct {
	arns []string
	next string
}

type principalRef struct{ kind, id string }

func newMemory() memory {
	return memory{permSets: map[string]*permSet{}, psPages: map[string]psPage{}, adminAccounts: map[string][]string{}, partialAccounts: map[string][]string{},
		adminAssigned: map[string][]principalRef{}, members: map[string][]string{}}
}

// instance finds the instance to read: the configured one, or the region's only instance.
func (s *Source) instance(ctx context.Context) error {
	if s.instanceARN != "" && s.storeID != "" {
		return nil
	}
	var found []struct{ arn, store string }
	var token *string
	for {
		out, err := do(ctx, s.c, s.c.pace, "sso:ListInstances", func(ctx context.Context) (*ssoadmin.ListInstancesOutput, error) {
			return s.c.sso.ListInstances(ctx, &ssoadmin.ListInstancesInput{NextToken: token}, s.c.ssoOpt(ctx))
		})
		if err != nil {
			return err
		}
		for _, in := range out.Instances {
			arn, store := sdkaws.ToString(in.InstanceArn), sdkaws.ToString(in.IdentityStoreId)
			if (s.instanceARN == "" || s.instanceARN == arn) && (s.storeID == "" || s.storeID == store) {
				found = append(found, struct{ arn, store string }{arn, store})
			}
		}
		if token = out.NextToken; sdkaws.ToString(token) == "" {
			break
		}
	}
	switch {
	case len(found) == 0 && (s.instanceARN != "" || s.storeID != ""):
		return sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: no Identity Center instance %s%s in region %s: check instance_arn, identity_store_id and region (the home region)",
			s.instanceARN, s.storeID, s.c.s.Region)
	case len(found) == 0:
		return sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: no Identity Center instance in region %s: region must be the instance's home region, and the credential must belong to its management or delegated administrator account", s.c.s.Region)
	case len(found) > 1:
		return sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: %d Identity Center instances in region %s: set instance_arn", len(found), s.c.s.Region)
	}
	s.instanceARN, s.storeID = found[0].arn, found[0].store
	return nil
}

// permissionSetPage returns a page of permission set ARNs (token "" is the first) and the next page's token.
func (s *Source) permissionSetPage(ctx context.Context, token string) (psPage, error) {
	if p, ok := s.mem.psPages[token]; ok {
		return p, nil
	}
	out, err := do(ctx, s.c, s.c.pace, "sso:ListPermissionSets", func(ctx context.Context) (*ssoadmin.ListPermissionSetsOutput, error) {
		return s.c.sso.ListPermissionSets(ctx, &ssoadmin.ListPermissionSetsInput{InstanceArn: &s.instanceARN,
			MaxResults: s.pageSize(100), NextToken: optToken(token)}, s.c.ssoOpt(ctx))
	})
	if err != nil {
		return psPage{}, err
	}
	p := psPage{arns: out.PermissionSets, next: sdkaws.ToString(out.NextToken)}
	if p.next == token && token != "" {
		return psPage{}, sspm.Errorf(sspm.CodeUnavailable, "aws_identity_center sso:ListPermissionSets: AWS answered the same NextToken again")
	}
	s.mem.psPages[token] = p
	return p, nil
}

// allPermissionSets lists every permission set ARN (from memory when the stage read them whole).
func (s *Source) allPermissionSets(ctx context.Context) ([]string, error) {
	if s.mem.psListDone {
		return s.mem.psList, nil
	}
	var out []string
	token := ""
	for range 100000 {
		p, err := s.permissionSetPage(ctx, token)
		if err != nil {
			return nil, err
		}
		out = append(out, p.arns...)
		if p.next == "" {
			return out, nil
		}
		token = p.next
	}
	return nil, fmt.Errorf("aws_identity_center: permission set listing does not end")
}

func optToken(t string) *string {
	if t == "" {
		return nil
	}
	return &t
}
