package aws_test

import (
	"context"
	"strings"
	"testing"

	awsc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestBadInputNamesWhatToFix: a role that cannot be assumed, a wrong region, an instance or identity store that
// does not exist, and wrong keys each fail the first step with an error naming what to fix; a missing permission
// on one API marks what it feeds unavailable and names the IAM action.
func TestBadInputNamesWhatToFix(t *testing.T) {
	cases := []struct {
		name   string
		opts   awssim.Options
		cfg    func(map[string]any)
		secret string
		code   sspm.Code
		says   []string
	}{
		{name: "role that cannot be assumed", opts: awssim.Options{ExternalID: "right-id"},
			cfg: func(c map[string]any) {
				c["role_arn"], c["external_id"] = "arn:aws:iam::123456789012:role/OpenSSPMReadOnly", "wrong-id"
			},
			code: sspm.CodeUnauthorized, says: []string{"cannot assume role arn:aws:iam::123456789012:role/OpenSSPMReadOnly", "external_id", "trust policy"}},
		{name: "wrong region", cfg: func(c map[string]any) {
			delete(c, "instance_arn")
			delete(c, "identity_store_id")
			c["region"] = "eu-west-1"
		},
			code: sspm.CodeInvalid, says: []string{"no Identity Center instance in region eu-west-1", "home region"}},
		{name: "wrong region with the instance configured", cfg: func(c map[string]any) { c["region"] = "eu-west-1" },
			code: sspm.CodeInvalid, says: []string{"not found in region eu-west-1", "home region"}},
		{name: "instance that does not exist", cfg: func(c map[string]any) { c["instance_arn"] = "arn:aws:sso:::instance/ssoins-0000000000000000" },
			code: sspm.CodeInvalid, says: []string{"not found", "instance_arn"}},
		{name: "identity store that does not exist", cfg: func(c map[string]any) { c["identity_store_id"] = "d-0000000000" },
			code: sspm.CodeInvalid, says: []string{"not found", "identity_store_id"}},
		{name: "unknown keys", secret: `{"access_key_id":"AKIAUNKNOWN000000000","secret_access_key":"x"}`,
			code: sspm.CodeUnauthorized, says: []string{"refused the credentials"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var secret []byte
			if c.secret != "" {
				secret = []byte(c.secret)
			}
			e, err := newEnv(t, c.opts, c.cfg, secret)
			if err != nil {
				t.Fatalf("new source: %v", err)
			}
			stage := awsc.StageUsers
			if c.name == "instance that does not exist" {
				stage = awsc.StagePermissionSets
			}
			_, err = e.src.Step(context.Background(), sspm.LaneFull, stage, "")
			if err == nil || sspm.ErrorCode(err) != c.code {
				t.Fatalf("err %v (code %s), want code %s", err, sspm.ErrorCode(err), c.code)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
		})
	}
}

// TestMissingPermissionNamesTheAction: a 403 on ListAccountAssignments leaves the run going with grants unavailable,
// and the step's message names the IAM action to add.
func TestMissingPermissionNamesTheAction(t *testing.T) {
	e := mustEnv(t, awssim.Options{})
	e.sim.AddFault(awssim.Fault{Operation: "SWBExternalService.ListAccountAssignments", Kind: awssim.FaultAccessDenied})
	_, results := e.fullSync(t)
	for _, r := range results {
		if len(r.Unavailable) > 0 {
			if r.Unavailable[0] != sspm.EntityGrants || !strings.Contains(r.Message, "sso:ListAccountAssignments") {
				t.Fatalf("unavailable %v, message %q", r.Unavailable, r.Message)
			}
			return
		}
	}
	t.Fatal("no step marked anything unavailable")
}

// TestAssumedRoleReads: with a role ARN and external id, the source assumes the role once and reads with its
// session.
func TestAssumedRoleReads(t *testing.T) {
	e2, err := newEnv(t, awssim.Options{ExternalID: "ext-42", RoleARN: "arn:aws:iam::123456789012:role/OpenSSPMReadOnly"}, func(c map[string]any) {
		c["role_arn"], c["external_id"] = "arn:aws:iam::123456789012:role/OpenSSPMReadOnly", "ext-42"
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := e2.fullSync(t)
	if len(page.Accounts) == 0 || e2.sim.Stats().ByOperation["STS.AssumeRole"] != 1 {
		t.Fatalf("%d accounts, stats %v", len(page.Accounts), e2.sim.Stats().ByOperation)
	}
}
