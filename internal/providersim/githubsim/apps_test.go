package githubsim_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
)

func appJWT(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	body, _ := json.Marshal(claims)
	signing := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

// TestInstallationTokens: only a JWT signed by the App's key, with iss = its id and a valid iat/exp window,
// mints a token for its installation; the token then reads the API until it expires.
func TestInstallationTokens(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := newSim(t, githubsim.Options{Tokens: []string{}, Clock: func() time.Time { return now },
		Apps: []githubsim.App{{ID: 42, InstallationID: 77, Key: &key.PublicKey}}})
	mint := func(jwt string, inst string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/app/installations/"+inst+"/access_tokens", nil)
		req.Header.Set("Authorization", "Bearer "+jwt)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Token string `json:"token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Token
	}
	valid := map[string]any{"iss": "42", "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix()}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, c := range map[string]struct {
		jwt  string
		inst string
		want int
	}{
		"expired":         {appJWT(t, key, map[string]any{"iss": "42", "iat": now.Add(-20 * time.Minute).Unix(), "exp": now.Add(-time.Minute).Unix()}), "77", 401},
		"too long":        {appJWT(t, key, map[string]any{"iss": "42", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}), "77", 401},
		"future iat":      {appJWT(t, key, map[string]any{"iss": "42", "iat": now.Add(5 * time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix()}), "77", 401},
		"unknown app":     {appJWT(t, key, map[string]any{"iss": "43", "iat": valid["iat"], "exp": valid["exp"]}), "77", 401},
		"wrong key":       {appJWT(t, other, valid), "77", 401},
		"other install":   {appJWT(t, key, valid), "78", 404},
		"not a jwt":       {"ghp_simulatortoken", "77", 401},
		"valid (numeric)": {appJWT(t, key, map[string]any{"iss": 42, "iat": valid["iat"], "exp": valid["exp"]}), "77", 201},
	} {
		if got, _ := mint(c.jwt, c.inst); got != c.want {
			t.Errorf("%s: status %d, want %d", name, got, c.want)
		}
	}
	status, tok := mint(appJWT(t, key, valid), "77")
	if status != 201 || tok == "" {
		t.Fatalf("mint: %d %q", status, tok)
	}
	if resp := get(t, s, "/orgs/"+s.Org()+"/members", tok, ""); resp.StatusCode != 200 {
		t.Errorf("members with the installation token: %d", resp.StatusCode)
	}
	now = now.Add(githubsim.TokenTTL)
	if resp := get(t, s, "/orgs/"+s.Org()+"/members", tok, ""); resp.StatusCode != 401 {
		t.Errorf("members with an expired installation token: %d", resp.StatusCode)
	}
	if n := s.TokensMinted(); n != 2 {
		t.Errorf("minted %d", n)
	}
}
