package google

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
	googleauth "golang.org/x/oauth2/google"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Signing modes of the config.
const (
	SigningKey = "key"
	SigningIAM = "iam"
	// DefaultIAMURL is the IAM Credentials API.
	DefaultIAMURL      = "https://iamcredentials.googleapis.com/"
	scopeCloudPlatform = "https://www.googleapis.com/auth/cloud-platform"
)

// iamSigner signs assertions with the IAM Credentials API's signJwt as the service account, authenticated as the
// caller (the connector's secret: a credential configuration the Google libraries accept, such as a Workload
// Identity Federation configuration for AWS); the caller needs roles/iam.serviceAccountTokenCreator on the
// service account. No service account key exists anywhere.
type iamSigner struct {
	endpoint string // .../v1/projects/-/serviceAccounts/{email}:signJwt
	caller   oauth2.TokenSource
	hc       *http.Client
}

// newIAMSigner builds the signer; hc carries the caller's token requests and the signJwt calls.
func newIAMSigner(s settings, secret []byte, hc *http.Client) (*iamSigner, error) {
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	var f struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(secret, &f)
	typ := googleauth.CredentialsType(f.Type)
	switch typ {
	case googleauth.ExternalAccount, googleauth.ServiceAccount, googleauth.ImpersonatedServiceAccount:
	default:
		return nil, sspm.Errorf(sspm.CodeInvalid, "google secret: a keyless caller credential of type %q: use an external_account "+
			"(Workload Identity Federation), impersonated_service_account or service_account configuration", f.Type)
	}
	creds, err := googleauth.CredentialsFromJSONWithType(ctx, secret, typ, scopeCloudPlatform)
	if err != nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "google secret: not a credential configuration for keyless signing: %v", err)
	}
	u := *s.iamURL
	u.Path += "v1/projects/-/serviceAccounts/" + url.PathEscape(s.ServiceAccount) + ":signJwt"
	return &iamSigner{endpoint: u.String(), caller: creds.TokenSource, hc: hc}, nil
}

func (s *iamSigner) assert(ctx context.Context, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	body, _ := json.Marshal(map[string]string{"payload": string(payload)})
	tok, err := s.caller.Token()
	if err != nil {
		return "", &sspm.Error{Code: sspm.CodeUnauthorized, Err: err, Message: "google keyless signing: the caller credential got no token"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	tok.SetAuthHeader(req)
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("google keyless signing: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		code := sspm.CodeUnavailable
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			code = sspm.CodeUnauthorized
		}
		return "", &sspm.Error{Code: code, Message: fmt.Sprintf("google keyless signing: signJwt answered %d: "+
			"the caller needs roles/iam.serviceAccountTokenCreator on %s", resp.StatusCode, s.endpoint)}
	}
	var out struct {
		SignedJwt string `json:"signedJwt"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.SignedJwt == "" {
		return "", sspm.Errorf(sspm.CodeUnavailable, "google keyless signing: signJwt answered without a signed JWT")
	}
	return out.SignedJwt, nil
}

// callerHosts returns the endpoints a caller credential configuration reaches (its token endpoint, STS,
// impersonation), so that the outbound client may reach them and nothing else.
func callerHosts(secret []byte, o Options) ([]*url.URL, error) {
	var f map[string]any
	if err := json.Unmarshal(secret, &f); err != nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "google secret: the keyless caller credential is not JSON")
	}
	if t, _ := f["type"].(string); t == "" {
		return nil, sspm.Errorf(sspm.CodeInvalid, "google secret: the keyless caller credential has no type")
	}
	var out []*url.URL
	for _, k := range []string{"token_uri", "token_url", "service_account_impersonation_url"} {
		v, _ := f[k].(string)
		if v == "" {
			continue
		}
		u, err := parseURL("secret "+k, v, v, o)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, sspm.Errorf(sspm.CodeInvalid, "google secret: the keyless caller credential names no token endpoint")
	}
	return out, nil
}
