package entrasim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

var (
	smallOnce sync.Once
	small     *providersim.Company
)

func company(t *testing.T) *providersim.Company {
	t.Helper()
	smallOnce.Do(func() {
		c, err := providersim.NewCompany(providersim.Small())
		if err != nil {
			panic(err)
		}
		small = c
	})
	return small
}

var (
	mediumOnce sync.Once
	mediumCo   *providersim.Company
)

// medium is a 1,000-person company, for page caps the small one cannot reach.
func medium(t *testing.T) *providersim.Company {
	t.Helper()
	mediumOnce.Do(func() {
		c, err := providersim.NewCompany(providersim.Medium())
		if err != nil {
			panic(err)
		}
		mediumCo = c
	})
	return mediumCo
}

// newServer starts a tenant on a fake clock.
func newServer(t *testing.T, opts Options) (*Server, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	if opts.Clock == nil {
		opts.Clock = clk.Now
	}
	s := New(company(t), opts)
	t.Cleanup(s.Close)
	return s, clk
}

// get calls a Graph path (or absolute URL) with the token and decodes the JSON body.
func get(t *testing.T, s *Server, token, path string) (int, http.Header, map[string]any) {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = s.URL() + path
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("GET %s: %d %q is not JSON: %v", path, resp.StatusCode, raw, err)
	}
	return resp.StatusCode, resp.Header, body
}

// postToken posts a form to the tenant's token endpoint.
func postToken(t *testing.T, s *Server, tenant string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(s.URL()+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// graphCode returns error.code of a Graph error body.
func graphCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// values returns the body's value array as objects.
func values(body map[string]any) []map[string]any {
	var out []map[string]any
	vs, _ := body["value"].([]any)
	for _, v := range vs {
		out = append(out, v.(map[string]any))
	}
	return out
}

// collect follows @odata.nextLink from path and returns every item and the final body.
func collect(t *testing.T, s *Server, token, path string) ([]map[string]any, map[string]any, int) {
	t.Helper()
	var all []map[string]any
	pages := 0
	for {
		status, _, body := get(t, s, token, path)
		pages++
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, status, body)
		}
		all = append(all, values(body)...)
		next, _ := body["@odata.nextLink"].(string)
		if next == "" {
			return all, body, pages
		}
		if !strings.HasPrefix(next, s.URL()+"/v1.0/") {
			t.Fatalf("nextLink %q does not point back at the server", next)
		}
		path = next
	}
}

// newCert makes a self-signed certificate for key.
func newCert(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "entrasim test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// assertion signs a client assertion with alg (RS256, PS256, ES256), naming cert by x5t.
func assertion(t *testing.T, key crypto.Signer, cert *x509.Certificate, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	thumb := sha1.Sum(cert.Raw)
	signed := enc(map[string]string{"alg": alg, "typ": "JWT", "x5t": base64.RawURLEncoding.EncodeToString(thumb[:])}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	var sig []byte
	var err error
	switch alg {
	case "RS256":
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, digest[:])
	case "PS256":
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES256":
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), digest[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}
