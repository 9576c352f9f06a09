package google_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestKeylessSigning: with signing iam the connector holds no key of the delegated service account: a caller
// credential gets a cloud-platform token, IAM Credentials signJwt signs the assertion as the service account, and
// the delegated token reads the directory. A caller without the token creator role is refused with what to fix.
// (Wall clock: the caller's token request is made by the Google library.)
func TestKeylessSigning(t *testing.T) {
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	caller, callerKey := serviceAccount(t, nil)
	caller.ClientEmail, caller.ClientID, caller.TokenCreator = "lambda-caller@proj.iam.gserviceaccount.com", "1", true
	noRole := caller
	noRole.TokenCreator = false
	_, strangerKey := serviceAccount(t, nil) // a valid key of an account that is no caller
	for _, tc := range []struct {
		name    string
		callers []googlesim.ServiceAccount
		key     []byte
		wantErr string
	}{
		{"token creator", []googlesim.ServiceAccount{caller}, callerKey, ""},
		{"not a token creator", []googlesim.ServiceAccount{noRole}, callerKey, "roles/iam.serviceAccountTokenCreator"},
		{"unknown caller", []googlesim.ServiceAccount{caller}, strangerKey, "the caller credential got no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := googlesim.New(company, googlesim.Options{Callers: tc.callers})
			defer sim.Close()
			var kf map[string]string
			_ = json.Unmarshal(tc.key, &kf)
			kf["token_uri"] = sim.TokenURL()
			if tc.name == "token creator" || tc.name == "not a token creator" {
				kf["client_email"] = caller.ClientEmail
			}
			secret, _ := json.Marshal(kf)
			raw, _ := json.Marshal(map[string]any{"admin_email": sim.AdminEmail(), "token_url": sim.TokenURL(), "api_url": sim.URL() + "/",
				"signing": "iam", "service_account": googlesim.DefaultClientEmail, "iam_url": sim.URL() + "/"})
			o := google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback}
			c := sspm.Connector{ID: "g", Kind: sspm.KindGoogle, Config: raw}
			if err := o.Validate(raw, secret); err != nil {
				t.Fatal(err)
			}
			src, err := o.NewSource(context.Background(), c, secret)
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Step(context.Background(), sspm.LaneFull, google.StageUsers, "")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || sspm.ErrorCode(err) != sspm.CodeUnauthorized {
					t.Fatalf("err %v (%s), want unauthorized naming %q", err, sspm.ErrorCode(err), tc.wantErr)
				}
				return
			}
			if err != nil || len(res.Page.Accounts) == 0 {
				t.Fatalf("%d accounts, %v", len(res.Page.Accounts), err)
			}
		})
	}
	if err := (google.Options{}).Validate(json.RawMessage(`{"admin_email":"a@b.example","signing":"iam"}`), nil); sspm.ErrorCode(err) != sspm.CodeInvalid ||
		!strings.Contains(err.Error(), "service_account") {
		t.Fatalf("iam without a service account: %v", err)
	}
}
