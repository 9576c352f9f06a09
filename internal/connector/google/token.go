package google

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// jwtBearer is the grant type of the service account flow (RFC 7523).
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// asserter makes the signed JWT assertion of the claims as the service account: with its private key, or
// remotely with the IAM Credentials API's signJwt (keyless deployments).
type asserter interface {
	assert(ctx context.Context, claims map[string]any) (string, error)
}

// keySigner signs with the service account key from the connector's secret.
type keySigner struct {
	key *rsa.PrivateKey
	kid string
}

func (k keySigner) assert(_ context.Context, claims map[string]any) (string, error) {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if k.kid != "" {
		header["kid"] = k.kid
	}
	input := enc(header) + "." + enc(claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// jwtSource is the service account JWT bearer flow with domain-wide delegation: an assertion with iss = the
// service account, sub = the admin, the scopes and aud = the token endpoint, signed RS256 and exchanged for an
// access token. It reads the connector's clock (iat, exp, the token's expiry), so a test clock and the
// simulator agree; the x/oauth2/jwt package reads the wall clock. Tokens are reused until a minute before they
// expire.
type jwtSource struct {
	email, subject, tokenURL string
	scopes                   []string
	signer                   asserter
	hc                       *http.Client
	now                      func() time.Time

	mu      sync.Mutex
	tok     *oauth2.Token
	expires time.Time
}

func (s *jwtSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.tok != nil && now.Before(s.expires) {
		return s.tok, nil
	}
	tok, life, err := s.exchange(context.Background(), now)
	if err != nil {
		return nil, err
	}
	s.tok, s.expires = tok, now.Add(life-time.Minute)
	return tok, nil
}

func (s *jwtSource) exchange(ctx context.Context, now time.Time) (*oauth2.Token, time.Duration, error) {
	claims := map[string]any{"iss": s.email, "scope": strings.Join(s.scopes, " "), "aud": s.tokenURL,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if s.subject != "" {
		claims["sub"] = s.subject
	}
	assertion, err := s.signer.assert(ctx, claims)
	if err != nil {
		return nil, 0, fmt.Errorf("sign the token request: %w", err)
	}
	form := url.Values{"grant_type": {jwtBearer}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("oauth2: cannot fetch token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("oauth2: cannot fetch token: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		re := &oauth2.RetrieveError{Response: resp, Body: body}
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/json" && json.Unmarshal(body, &e) == nil {
			re.ErrorCode, re.ErrorDescription = e.Error, e.Description
		}
		return nil, 0, re
	}
	var t struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return nil, 0, fmt.Errorf("oauth2: the token endpoint answered without an access token")
	}
	life := time.Duration(t.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer"}, life, nil
}
