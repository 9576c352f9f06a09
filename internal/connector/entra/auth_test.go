package entra_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestSignIn signs in with azidentity for real against the simulator's TLS token endpoint, with a client secret
// and with a certificate, and reads the first stage; a wrong secret, a wrong tenant or a certificate the app does
// not have fail with an unauthorized error naming Entra's reason, and return no rows.
func TestSignIn(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, cert := selfSigned(t, key)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherPEM, _ := selfSigned(t, otherKey)
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := entrasim.New(company, entrasim.Options{TLS: true, Apps: []entrasim.App{
		{ClientID: entrasim.DefaultClientID, Secret: entrasim.DefaultSecret, Certificates: []*x509.Certificate{cert}}}})
	t.Cleanup(sim.Close)
	opts := entra.Options{AllowLoopback: true, HTTPClient: sim.Client()}
	connectorOf := func(tenant, auth string) sspm.Connector {
		raw, _ := json.Marshal(map[string]any{"tenant_id": tenant, "client_id": entrasim.DefaultClientID, "auth": auth,
			"graph_url": sim.URL() + "/v1.0", "authority_host": sim.URL()})
		return sspm.Connector{ID: "entra", Kind: sspm.KindEntra, Name: "Entra", Config: raw}
	}
	for _, tc := range []struct {
		name, tenant, auth string
		secret             []byte
		reason             string // "" = signs in
	}{
		{"client secret", sim.TenantID(), entra.AuthSecret, []byte(entrasim.DefaultSecret), ""},
		{"certificate", sim.TenantID(), entra.AuthCertificate, certPEM, ""},
		{"wrong secret", sim.TenantID(), entra.AuthSecret, []byte("not-the-secret"), "AADSTS7000215"},
		{"unknown certificate", sim.TenantID(), entra.AuthCertificate, otherPEM, "AADSTS"},
		{"wrong tenant", "00000000-1111-2222-3333-444444444444", entra.AuthSecret, []byte(entrasim.DefaultSecret), "AADSTS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			src, err := opts.NewSource(ctx, connectorOf(tc.tenant, tc.auth), tc.secret)
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Step(ctx, sspm.LaneFull, entra.StageRoles, "")
			if tc.reason == "" {
				if err != nil || len(res.Page.Resources) == 0 {
					t.Fatalf("roles: %d resources, %v", len(res.Page.Resources), err)
				}
				return
			}
			if sspm.ErrorCode(err) != sspm.CodeUnauthorized || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %v (%s), want unauthorized naming %s", err, sspm.ErrorCode(err), tc.reason)
			}
			if strings.Contains(err.Error(), string(tc.secret)) {
				t.Fatal("the error contains the secret")
			}
			if res.Page.Len() != 0 {
				t.Fatalf("a failed sign-in returned %d rows", res.Page.Len())
			}
		})
	}
}

// selfSigned returns a PEM file holding a self-signed certificate for key and the key, and the certificate.
func selfSigned(t *testing.T, key *rsa.PrivateKey) ([]byte, *x509.Certificate) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "open-sspm test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, key)})...)
	return out, cert
}

func mustPKCS8(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	b, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
