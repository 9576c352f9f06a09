package aws_test

import (
	"context"
	"slices"
	"testing"
	"time"

	awsc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestCatalogueMatchesAWSEvents: changes the instance records in CloudTrail, read by the tail, match the
// catalogue's AWS matchers: AdministratorAccess assigned (EV-009, and EV-001 critical), a user added to a group
// that holds it (EV-001), AdministratorAccess attached to a set (EV-009), an inline policy put on a set (EV-004);
// a read-only assignment matches nothing.
func TestCatalogueMatchesAWSEvents(t *testing.T) {
	e := mustEnv(t, awssim.Options{})
	cat, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]string{}
	for _, ps := range e.sim.PermissionSets() {
		sets[ps.Name] = ps.ARN
	}
	// Start the streams at now: only the changes below are read.
	_, ssoCur := e.readAll(t, awsc.StreamSSO, "")
	_, isCur := e.readAll(t, awsc.StreamIdentityStore, "")
	e.clk.Advance(time.Minute)
	users, accounts := e.sim.Users(), e.sim.Accounts()
	var adminGroup string
	for _, a := range e.sim.Assignments() {
		if a.PermissionSetARN == sets[awssim.PSAdministrator] && a.PrincipalType == "GROUP" {
			adminGroup = a.PrincipalID
		}
	}
	var outsider string
	for _, u := range users {
		if g := e.sim.Groups(); !slices.ContainsFunc(g, func(g awssim.Group) bool { return g.ID == adminGroup && slices.Contains(g.Members, u.ID) }) {
			outsider = u.ID
			break
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.sim.Assign(awssim.Assignment{AccountID: accounts[2], PermissionSetARN: sets[awssim.PSAdministrator], PrincipalType: "USER", PrincipalID: outsider}))
	must(e.sim.Assign(awssim.Assignment{AccountID: accounts[2], PermissionSetARN: sets[awssim.PSReadOnly], PrincipalType: "USER", PrincipalID: outsider}))
	must(e.sim.AttachManagedPolicy(sets[awssim.PSBilling], "AdministratorAccess", awssim.AdministratorAccessARN))
	must(e.sim.PutInlinePolicy(sets[awssim.PSDeveloper], `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`))
	must(e.sim.AddMember(adminGroup, outsider))
	e.clk.Advance(time.Minute)
	ssoEvents, _ := e.readAll(t, awsc.StreamSSO, ssoCur)
	isEvents, _ := e.readAll(t, awsc.StreamIdentityStore, isCur)
	matches := func(evs []sspm.Event) map[string]map[string][]string { // event type → policy → severities
		for i := range evs {
			evs[i].SourceKind, evs[i].ID = sspm.KindAWSIDC, int64(i+1)
		}
		got, err := cat.MatchEvents(context.Background(), string(sspm.KindAWSIDC), evs, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string][]string{}
		for _, m := range got {
			key := m.Event.Type
			for _, tg := range m.Event.Targets {
				if tg.Type == "permission_set" {
					key += " " + tg.DisplayName
				}
			}
			if out[key] == nil {
				out[key] = map[string][]string{}
			}
			out[key][m.Ref.Policy.ID] = append(out[key][m.Ref.Policy.ID], m.Severity)
		}
		return out
	}
	got := matches(ssoEvents)
	want := map[string]map[string][]string{
		"CreateAccountAssignment AdministratorAccess (AdministratorAccess)": {"EV-009": {"critical"}, "EV-001": {"critical"}},
		"AttachManagedPolicyToPermissionSet Billing (AdministratorAccess)":  {"EV-009": {"critical"}},
		"PutInlinePolicyToPermissionSet DeveloperAccess":                    {"EV-004": {"medium"}},
	}
	if len(ssoEvents) != 4 || !equal(got, want) {
		t.Fatalf("%d sso events matched %v, want %v", len(ssoEvents), got, want)
	}
	got = matches(isEvents)
	if len(isEvents) != 1 || len(got) != 1 {
		t.Fatalf("%d identitystore events matched %v", len(isEvents), got)
	}
	for k, m := range got {
		if !slices.Equal(m["EV-001"], []string{"critical"}) {
			t.Fatalf("%s matched %v; want EV-001 critical", k, m)
		}
	}
}

func equal(a, b map[string]map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, m := range a {
		if len(m) != len(b[k]) {
			return false
		}
		for p, s := range m {
			if !slices.Equal(s, b[k][p]) {
				return false
			}
		}
	}
	return true
}
