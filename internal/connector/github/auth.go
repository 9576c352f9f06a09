package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/outbound"
)

// newAuth returns the transport that authorizes requests: a fixed token, or a GitHub App installation token
// minted from an App JWT and renewed five minutes before it expires.
func newAuth(s settings, secret []byte, base http.RoundTripper, opts Options) (http.RoundTripper, error) {
	if s.Auth == AuthToken {
		return &bearer{base: base, token: func(context.Context) (string, error) { return strings.TrimSpace(string(secret)), nil }}, nil
	}
	key, err := parseKey(secret)
	if err != nil {
		return nil, invalid("secret", "(the App's private key) "+err.Error())
	}
	app := &appToken{appID: s.AppID, installationID: s.InstallationID, key: key, now: opts.now}
	app.gh = gh.NewClient(&http.Client{Transport: &bearer{base: base, token: app.jwt}, CheckRedirect: outbound.CheckRedirect})
	app.gh.BaseURL = s.base
	return &bearer{base: base, token: app.token}, nil
}

type bearer struct {
	base  http.RoundTripper
	token func(context.Context) (string, error)
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := b.token(r.Context())
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return b.base.RoundTrip(r)
}

// appToken mints installation tokens (docs/connectors/github.md#github-app-recommended): an RS256 JWT with iss = app id, iat = now − 60 s and
// exp = now + 9 min, exchanged at POST /app/installations/{id}/access_tokens for a token valid one hour.
type appToken struct {
	appID, installationID int64
	key                   *rsa.PrivateKey
	now                   func() time.Time
	gh                    *gh.Client

	mu      sync.Mutex
	cur     string
	expires time.Time
}

func (a *appToken) token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur != "" && a.now().Before(a.expires.Add(-5*time.Minute)) {
		return a.cur, nil
	}
	t, _, err := a.gh.Apps.CreateInstallationToken(ctx, a.installationID, nil)
	if err != nil {
		return "", fmt.Errorf("github app installation token: %w", err)
	}
	a.cur, a.expires = t.GetToken(), t.GetExpiresAt().Time
	if a.expires.IsZero() {
		a.expires = a.now().Add(time.Hour)
	}
	return a.cur, nil
}

// jwt signs the App JWT.
func (a *appToken) jwt(context.Context) (string, error) {
	now := a.now()
	return signJWT(a.key, map[string]any{"iss": strconv.FormatInt(a.appID, 10), "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix()})
}

func signJWT(key *rsa.PrivateKey, claims map[string]any) (string, error) {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("github app jwt: %w", err)
	}
	signing := head + "." + enc.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("github app jwt: sign: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}
