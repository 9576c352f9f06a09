package aws_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector"
	awsc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestConformance runs the connector conformance suite against simulated Identity Center instances.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, awsHarness)
}

var (
	token     = []sourcetest.Paging{sourcetest.BodyToken}
	resources = []sspm.Entity{sspm.EntityResources}
)

var awsHarness = sourcetest.Harness{
	Kind: func(clk *clocktest.Clock) connector.Kind {
		return awsc.NewKind(awsc.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep})
	},
	NewTenant: newAWSTenant,
	// A 403 (AccessDeniedException) on one API marks only what it feeds unavailable.
	Endpoints: []sourcetest.Endpoint{
		{Name: "AWSIdentityStore.ListUsers", Stage: awsc.StageUsers, Paging: token, Unavailable: []sspm.Entity{sspm.EntityAccounts}},
		{Name: "SWBExternalService.ListPermissionSets", Stage: awsc.StagePermissionSets, Paging: token, Unavailable: []sspm.Entity{sspm.EntityResources, sspm.EntityGrants}},
		{Name: "SWBExternalService.DescribePermissionSet", Stage: awsc.StagePermissionSets, Unavailable: []sspm.Entity{sspm.EntityResources, sspm.EntityGrants}},
		{Name: "SWBExternalService.ListManagedPoliciesInPermissionSet", Stage: awsc.StagePermissionSets, Paging: token, Unavailable: resources},
		{Name: "SWBExternalService.ListCustomerManagedPolicyReferencesInPermissionSet", Stage: awsc.StagePermissionSets, Paging: token, Unavailable: resources},
		{Name: "SWBExternalService.GetInlinePolicyForPermissionSet", Stage: awsc.StagePermissionSets, Unavailable: resources},
		{Name: "SWBExternalService.GetPermissionsBoundaryForPermissionSet", Stage: awsc.StagePermissionSets, Unavailable: resources},
		{Name: "SWBExternalService.ListAccountsForProvisionedPermissionSet", Stage: awsc.StageAssignments, Paging: token, Unavailable: []sspm.Entity{sspm.EntityResources, sspm.EntityGrants}},
		{Name: "SWBExternalService.ListAccountAssignments", Stage: awsc.StageAssignments, Paging: token, Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "AWSIdentityStore.ListGroups", Stage: awsc.StageGroups, Paging: token, Unavailable: []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants}},
		{Name: "AWSIdentityStore.ListGroupMemberships", Stage: awsc.StageGroups, Paging: token, Unavailable: []sspm.Entity{sspm.EntityGroupMembers, sspm.EntityGrants}},
		{Name: "SWBExternalService.ListAccountAssignmentsForPrincipal", Stage: awsc.StageGroups, Paging: token, Unavailable: []sspm.Entity{sspm.EntityGrants}},
	},
	RateLimits: []string{"400 ThrottlingException with Retry-After", "429 TooManyRequestsException with Retry-After"},
	Tail: &sourcetest.Tail{Stream: awsc.StreamSSO, Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
		sim := tn.(*awsTenant).sim
		users, accounts, sets := sim.Users(), sim.Accounts(), sim.PermissionSets()
		for i := range n {
			a := awssim.Assignment{AccountID: accounts[(i+1)%len(accounts)], PermissionSetARN: sets[len(sets)-1].ARN, PrincipalType: "USER", PrincipalID: users[i%len(users)].ID}
			if err := sim.Assign(a); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

// awsTenant is a simulated Identity Center instance of a small company.
type awsTenant struct{ sim *awssim.Server }

func newAWSTenant(t testing.TB, clk *clocktest.Clock, n int) sourcetest.Tenant {
	t.Helper()
	sim := awssim.New(sourcetest.Company(t, n, nil), awssim.Options{Tenant: n, Clock: clk.Now, PageSize: 3})
	t.Cleanup(sim.Close)
	return &awsTenant{sim: sim}
}

func (a *awsTenant) Connector(id string) sspm.Connector {
	raw, _ := json.Marshal(map[string]any{"region": a.sim.Region(), "instance_arn": a.sim.InstanceARN(),
		"identity_store_id": a.sim.IdentityStoreID(), "endpoint": a.sim.URL()})
	return sspm.Connector{ID: id, Kind: sspm.KindAWSIDC, Name: "AWS " + id, Enabled: true, Config: raw}
}

func (a *awsTenant) Secret() []byte {
	raw, _ := json.Marshal(map[string]string{"access_key_id": awssim.DefaultAccessKeyID, "secret_access_key": awssim.DefaultSecretAccessKey})
	return raw
}

func (a *awsTenant) Inject(f sourcetest.Fault) {
	sf := awssim.Fault{Operation: f.Endpoint, Page: f.Page, Times: f.Times, Wait: f.Wait}
	switch f.Kind {
	case sourcetest.ServerError:
		sf.Kind = awssim.FaultServer
	case sourcetest.Forbidden:
		sf.Kind = awssim.FaultAccessDenied
	case sourcetest.RateLimited:
		sf.Kind = awssim.FaultThrottling
		if strings.HasPrefix(f.RateLimit, "429") {
			sf.Kind = awssim.FaultTooManyRequests
		}
	case sourcetest.EmptyLastPage:
		sf.Kind = awssim.FaultEmptyLastPage
	case sourcetest.Style: // NextToken is the only paging style
		return
	}
	a.sim.AddFault(sf)
}

func (a *awsTenant) ClearFaults() { a.sim.ClearFaults() }

func (a *awsTenant) Requests(endpoint string) int { return a.sim.Stats().ByOperation[endpoint] }

// Delete removes a user (its memberships and direct assignments go), a group with members and assignments, and
// a permission set (its assignments go).
func (a *awsTenant) Delete(t testing.TB) []sspm.Entity {
	t.Helper()
	direct := map[string]bool{}
	for _, as := range a.sim.Assignments() {
		if as.PrincipalType == "USER" {
			direct[as.PrincipalID] = true
		}
	}
	for _, u := range a.sim.Users() {
		if direct[u.ID] {
			if err := a.sim.DeleteUser(u.ID); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	assigned := map[string]bool{}
	for _, as := range a.sim.Assignments() {
		assigned[as.PrincipalID] = true
	}
	for _, g := range a.sim.Groups() {
		if len(g.Members) > 0 && assigned[g.ID] {
			if err := a.sim.DeleteGroup(g.ID); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	sets := a.sim.PermissionSets()
	if err := a.sim.DeletePermissionSet(sets[len(sets)-1].ARN); err != nil {
		t.Fatal(err)
	}
	return []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityResources, sspm.EntityGrants}
}
