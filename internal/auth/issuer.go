package auth

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DefaultTokenTTL is how long a locally issued access token lives: short, since a session's refresh token gets
// the next one.
const DefaultTokenTTL = 10 * time.Minute

// Issuer issues RS256 access tokens for the local runtime, the same shape a Cognito user pool issues (sub,
// email, email_verified, role, aud, exp, and the session's sid), and publishes its public key as a JSON Web Key Set.
type Issuer struct {
	key      *rsa.PrivateKey
	kid      string
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	signer   jose.Signer
}

// IssuerOptions tune an Issuer; zero values take the defaults.
type IssuerOptions struct {
	TTL time.Duration    // default DefaultTokenTTL
	Now func() time.Time // default time.Now
}

// NewIssuer returns an issuer signing with key for the audience.
func NewIssuer(key *rsa.PrivateKey, issuer, audience string, o IssuerOptions) (*Issuer, error) {
	if key == nil || issuer == "" || audience == "" {
		return nil, errors.New("auth: issuer needs a key, an issuer and an audience")
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("auth: key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("auth: signer: %w", err)
	}
	i := &Issuer{key: key, kid: kid, issuer: issuer, audience: audience, ttl: o.TTL, now: o.Now, signer: signer}
	if i.ttl <= 0 {
		i.ttl = DefaultTokenTTL
	}
	if i.now == nil {
		i.now = time.Now
	}
	return i, nil
}

// Token is an issued access token, and the refresh token of its session when it has one.
type Token struct {
	AccessToken  string
	ExpiresAt    time.Time
	RefreshToken string
}

// Issue signs an access token for a principal.
func (i *Issuer) Issue(p Principal) (Token, error) {
	now := i.now()
	exp := now.Add(i.ttl)
	std := jwt.Claims{Issuer: i.issuer, Subject: p.Subject, Audience: jwt.Audience{i.audience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp)}
	extra := claims{Email: p.Email, Role: string(p.Role), TokenUse: "access", SessionID: p.SessionID}
	if p.Email != "" {
		extra.EmailVerified = true // local users' emails are set by an admin
	}
	s, err := jwt.Signed(i.signer).Claims(std).Claims(extra).Serialize()
	if err != nil {
		return Token{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return Token{AccessToken: s, ExpiresAt: exp}, nil
}

// Keys is the issuer's public key set.
func (i *Issuer) Keys() StaticKeys {
	return StaticKeys{Keys: []jose.JSONWebKey{{Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: string(jose.RS256), Use: "sig"}}}
}

// Verifier returns a verifier of the issuer's tokens.
func (i *Issuer) Verifier() *Verifier {
	return &Verifier{Issuer: i.issuer, Audience: i.audience, Keys: i.Keys(), Now: i.now}
}

// JWKSHandler serves the public key set (GET /auth/jwks.json).
func (i *Issuer) JWKSHandler() http.Handler {
	body, _ := json.Marshal(jose.JSONWebKeySet(i.Keys()))
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	})
}

// LoadOrCreateKey reads the RSA signing key at path (PKCS #8 PEM), generating it first when the file does not
// exist and create is set. The file must be readable by its owner only (0600).
func LoadOrCreateKey(path string, create bool) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read signing key: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("auth: signing key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auth: signing key %s is readable by others (chmod 600 it)", path)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("auth: signing key %s is not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: signing key %s: %w", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: signing key %s is not an RSA key", path)
	}
	return rk, nil
}

func createKey(path string) (*rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("auth: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: encode signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: create key folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process created it first
		return LoadOrCreateKey(path, false)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("auth: write signing key: %w", err)
	}
	return key, nil
}
