package awssim

import "time"

// MinRequests counts, per operation, the fewest requests that read the whole inventory at pageSize items a page
// (at least one per listing): users, groups with their members and assignments, permission sets with their
// policies, the accounts each is provisioned to and the assignments there. Benchmarks compare a sync's
// requests with it; at Identity Center's 20 requests a second it is the floor of a full sync's time.
func (s *Server) MinRequests(pageSize int) map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	pages := func(n int) int { return max(1, (n+pageSize-1)/pageSize) }
	out := map[string]int{}
	add := func(op string, n int) { out[op] += n }
	add(prefixIdentityStore+"ListUsers", pages(len(o.users)))
	add(prefixIdentityStore+"ListGroups", pages(len(o.groups)))
	byPrincipal := map[string]int{}
	byPair := map[[2]string]int{}
	for _, a := range o.assignments {
		byPrincipal[a.PrincipalID]++
		byPair[[2]string{a.PermissionSetARN, a.AccountID}]++
	}
	for _, g := range o.groups {
		add(prefixIdentityStore+"ListGroupMemberships", pages(len(g.Members)))
		add(prefixSSOAdmin+"ListAccountAssignmentsForPrincipal", pages(byPrincipal[g.ID]))
	}
	add(prefixSSOAdmin+"ListPermissionSets", pages(len(o.permSets)))
	for _, p := range o.permSets {
		add(prefixSSOAdmin+"DescribePermissionSet", 1)
		add(prefixSSOAdmin+"GetInlinePolicyForPermissionSet", 1)
		add(prefixSSOAdmin+"GetPermissionsBoundaryForPermissionSet", 1)
		add(prefixSSOAdmin+"ListManagedPoliciesInPermissionSet", pages(len(p.Managed)))
		add(prefixSSOAdmin+"ListCustomerManagedPolicyReferencesInPermissionSet", pages(len(p.CustomerManaged)))
		accounts := o.provisioned(p.ARN)
		add(prefixSSOAdmin+"ListAccountsForProvisionedPermissionSet", pages(len(accounts)))
		for _, acc := range accounts {
			add(prefixSSOAdmin+"ListAccountAssignments", pages(byPair[[2]string{p.ARN, acc}]))
		}
	}
	return out
}

// AddSignIns records n portal sign-ins of the users, one every `every` from start (oldest first), as the
// signin.amazonaws.com event source (tail benchmarks).
func (s *Server) AddSignIns(n int, start time.Time, every time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	for i := range n {
		u := o.users[i%len(o.users)]
		o.newEvent(eventSpec{name: "UserAuthentication", source: SourceSignin, actor: u.UserName, at: start.Add(time.Duration(i) * every),
			identityType: "IdentityCenterUser", response: map[string]any{"UserAuthentication": "Success"}})
	}
}
