package googlesim_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newSim(t *testing.T, opts googlesim.Options) (*googlesim.Server, *clock) {
	t.Helper()
	c, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: providersim.DefaultNow().Add(time.Hour)}
	opts.Clock = clk.Now
	s := googlesim.New(c, opts)
	t.Cleanup(s.Close)
	return s, clk
}

// key is the parsed service account key file.
type key struct {
	email, kid string
	priv       *rsa.PrivateKey
}

func parseKey(t *testing.T, raw []byte) key {
	t.Helper()
	var f map[string]string
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(f["private_key"]))
	if block == nil {
		t.Fatal("no PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key{email: f["client_email"], kid: f["private_key_id"], priv: k.(*rsa.PrivateKey)}
}

// assertion signs a JWT bearer assertion.
func assertion(t *testing.T, k key, aud, sub string, scopes []string, iat time.Time, life time.Duration) string {
	t.Helper()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	claims := map[string]any{"iss": k.email, "scope": strings.Join(scopes, " "), "aud": aud, "iat": iat.Unix(), "exp": iat.Add(life).Unix()}
	if sub != "" {
		claims["sub"] = sub
	}
	signing := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.kid}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// exchange posts an assertion to the token endpoint and returns the status and decoded body.
func exchange(t *testing.T, s *googlesim.Server, jwt string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.TokenURL(), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// get calls the API with a bearer token and decodes the answer into out (when not nil).
func get(t *testing.T, s *googlesim.Server, token, path string, out any) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %v in %s", path, err, raw)
		}
	}
	return resp.StatusCode, resp.Header
}

// apiErr is Google's error body.
type apiErr struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Domain, Reason, Message string
		} `json:"errors"`
	} `json:"error"`
}

func (e apiErr) reason() string {
	if len(e.Error.Errors) == 0 {
		return ""
	}
	return e.Error.Errors[0].Reason
}

// listAll pages through a listing with maxResults n and returns each page's items under field.
func listAll(t *testing.T, s *googlesim.Server, path, field string, n int) ([]json.RawMessage, int) {
	t.Helper()
	var all []json.RawMessage
	tok, pages := "", 0
	for {
		u := path + sep(path) + "maxResults=" + itoa(n)
		if tok != "" {
			u += "&pageToken=" + url.QueryEscape(tok)
		}
		var page map[string]json.RawMessage
		if code, _ := get(t, s, googlesim.DefaultToken, u, &page); code != http.StatusOK {
			t.Fatalf("%s: %d", u, code)
		}
		pages++
		var items []json.RawMessage
		if raw, ok := page[field]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, items...)
		tok = ""
		if raw, ok := page["nextPageToken"]; ok {
			_ = json.Unmarshal(raw, &tok)
		}
		if tok == "" {
			return all, pages
		}
		if pages > 10000 {
			t.Fatal("paging never ends")
		}
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
