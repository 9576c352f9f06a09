package awssim

import (
	"net/http"
)

// SSO Admin listings answer at most 100 items a page.
const ssoAdminMax = 100

func (s *Server) ssoAdmin(c *call, op string) (any, *apiError) {
	var in struct {
		InstanceArn      string
		PermissionSetArn string
		AccountID        string `json:"AccountId"`
		PrincipalID      string `json:"PrincipalId"`
		PrincipalType    string
		Filter           *struct {
			AccountID string `json:"AccountId"`
		}
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	if op == "ListInstances" {
		p, err := s.paginate(c, 1, ssoAdminMax, ssoAdminMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		list := []map[string]any{}
		if p.start < 1 {
			list = append(list, map[string]any{"InstanceArn": o.instanceARN, "IdentityStoreId": o.identityStoreID,
				"OwnerAccountId": o.ownerAccount, "Name": "sim", "Status": "ACTIVE", "CreatedDate": epoch(o.created)})
		}
		return withToken(map[string]any{"Instances": list}, p.next), nil
	}
	if in.InstanceArn == "" {
		return nil, validation("1 validation error detected: Value null at 'instanceArn' failed to satisfy constraint: Member must not be null")
	}
	if in.InstanceArn != o.instanceARN {
		return nil, &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException", msg: "Instance " + in.InstanceArn + " does not exist"}
	}
	permSet := func() (*PermissionSet, *apiError) {
		if in.PermissionSetArn == "" {
			return nil, validation("1 validation error detected: Value null at 'permissionSetArn' failed to satisfy constraint: Member must not be null")
		}
		ps, ok := o.permSet(in.PermissionSetArn)
		if !ok {
			return nil, notFound("Could not find PermissionSet with PermissionSetArn %s", in.PermissionSetArn)
		}
		return ps, nil
	}
	switch op {
	case "ListPermissionSets":
		p, err := s.paginate(c, len(o.permSets), ssoAdminMax, ssoAdminMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		arns := make([]string, 0, p.end-p.start)
		for _, ps := range o.permSets[p.start:p.end] {
			arns = append(arns, ps.ARN)
		}
		return withToken(map[string]any{"PermissionSets": arns}, p.next), nil
	case "DescribePermissionSet":
		ps, err := permSet()
		if err != nil {
			return nil, err
		}
		return map[string]any{"PermissionSet": map[string]any{"Name": ps.Name, "PermissionSetArn": ps.ARN,
			"Description": ps.Description, "CreatedDate": epoch(ps.Created), "SessionDuration": ps.SessionDuration}}, nil
	case "ListManagedPoliciesInPermissionSet":
		ps, err := permSet()
		if err != nil {
			return nil, err
		}
		p, err := s.paginate(c, len(ps.Managed), ssoAdminMax, ssoAdminMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		list := make([]map[string]string, 0, p.end-p.start)
		for _, m := range ps.Managed[p.start:p.end] {
			list = append(list, map[string]string{"Name": m.Name, "Arn": m.ARN})
		}
		return withToken(map[string]any{"AttachedManagedPolicies": list}, p.next), nil
	case "ListCustomerManagedPolicyReferencesInPermissionSet":
		ps, err := permSet()
		if err != nil {
			return nil, err
		}
		p, err := s.paginate(c, len(ps.CustomerManaged), ssoAdminMax, ssoAdminMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		list := make([]map[string]string, 0, p.end-p.start)
		for _, m := range ps.CustomerManaged[p.start:p.end] {
			list = append(list, map[string]string{"Name": m.Name, "Path": m.Path})
		}
		return withToken(map[string]any{"CustomerManagedPolicyReferences": list}, p.next), nil
	case "GetInlinePolicyForPermissionSet":
		ps, err := permSet()
		if err != nil {
			return nil, err
		}
		if ps.Inline == "" {
			return map[string]any{}, nil
		}
		return map[string]any{"InlinePolicy": ps.Inline}, nil
	case "GetPermissionsBoundaryForPermissionSet":
		ps, err := permSet()
		if err != nil {
			return nil, err
		}
		switch {
		case ps.BoundaryARN != "":
			return map[string]any{"PermissionsBoundary": map[string]any{"ManagedPolicyArn": ps.BoundaryARN}}, nil
		case ps.BoundaryRef != nil:
			return map[string]any{"PermissionsBoundary": map[string]any{"CustomerManagedPolicyReference": map[string]string{
				"Name": ps.BoundaryRef.Name, "Path": ps.BoundaryRef.Path}}}, nil
		}
		return nil, notFound("Permissions boundary does not exist for PermissionSet %s", ps.ARN)
	case "ListAccountsForProvisionedPermissionSet":
		ps, err := permSet()
		if err != nil {
			return nil, err
		}
		accounts := o.provisioned(ps.ARN)
		p, err := s.paginate(c, len(accounts), ssoAdminMax, ssoAdminMax, "ValidationException")
		if err != nil {
			return nil, err
		}
		return withToken(map[string]any{"AccountIds": accounts[p.start:p.end]}, p.next), nil
	case "ListAccountAssignments":
		if _, err := permSet(); err != nil {
			return nil, err
		}
		if in.AccountID == "" {
			return nil, validation("1 validation error detected: Value null at 'accountId' failed to satisfy constraint: Member must not be null")
		}
		var list []Assignment
		for _, a := range o.assignments {
			if a.AccountID == in.AccountID && a.PermissionSetARN == in.PermissionSetArn {
				list = append(list, a)
			}
		}
		return s.assignmentPage(c, list)
	case "ListAccountAssignmentsForPrincipal":
		if in.PrincipalID == "" || (in.PrincipalType != "USER" && in.PrincipalType != "GROUP") {
			return nil, validation("1 validation error detected: principalId and principalType (USER or GROUP) are required")
		}
		var list []Assignment
		for _, a := range o.assignments {
			if a.PrincipalID == in.PrincipalID && a.PrincipalType == in.PrincipalType && (in.Filter == nil || in.Filter.AccountID == "" || in.Filter.AccountID == a.AccountID) {
				list = append(list, a)
			}
		}
		return s.assignmentPage(c, list)
	}
	return nil, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: "unknown operation " + c.op}
}

func (s *Server) assignmentPage(c *call, list []Assignment) (any, *apiError) {
	p, err := s.paginate(c, len(list), ssoAdminMax, ssoAdminMax, "ValidationException")
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, 0, p.end-p.start)
	for _, a := range list[p.start:p.end] {
		out = append(out, map[string]string{"AccountId": a.AccountID, "PermissionSetArn": a.PermissionSetARN,
			"PrincipalType": a.PrincipalType, "PrincipalId": a.PrincipalID})
	}
	return withToken(map[string]any{"AccountAssignments": out}, p.next), nil
}
