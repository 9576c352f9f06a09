package oktasim

import (
	"crypto"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// DefaultToken is the API token a server accepts when Options.Tokens is nil.
const DefaultToken = "sim-ssws-token"

// OAuthClient is an OAuth 2.0 service app that may get access tokens from
// /oauth2/v1/token with client_credentials and private_key_jwt.
type OAuthClient struct {
	ClientID string
	// PublicKey verifies client assertion signatures (*rsa.PublicKey for
	// RS256/384/512, *ecdsa.PublicKey for ES256/384/512). Nil skips the
	// signature check; structure and claims are always checked.
	PublicKey crypto.PublicKey
	// Scopes the client may be granted; nil grants any requested scope.
	Scopes []string
}

// authState holds API tokens, OAuth clients and issued access tokens.
type authState struct {
	mu      sync.Mutex
	tokens  []string
	clients map[string]OAuthClient
	access  map[string]accessToken
	issued  int64
}

type accessToken struct {
	clientID string
	scopes   map[string]bool
	expires  time.Time
}

func newAuthState(tokens []string, clients []OAuthClient) *authState {
	a := &authState{clients: map[string]OAuthClient{}, access: map[string]accessToken{}}
	if tokens == nil {
		tokens = []string{DefaultToken}
	}
	a.tokens = append(a.tokens, tokens...)
	for _, c := range clients {
		a.clients[c.ClientID] = c
	}
	return a
}

func (a *authState) tokenList() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.tokens...)
}

// AddToken makes the server accept another API token.
func (s *Server) AddToken(token string) {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	s.auth.tokens = append(s.auth.tokens, token)
}

// RevokeToken stops accepting an API token or OAuth access token, as when a
// token expires or is revoked mid-run.
func (s *Server) RevokeToken(token string) {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	for i, t := range s.auth.tokens {
		if t == token {
			s.auth.tokens = append(s.auth.tokens[:i], s.auth.tokens[i+1:]...)
			break
		}
	}
	delete(s.auth.access, token)
}

// authorize checks the Authorization header: "SSWS <api token>" grants
// everything; "Bearer <access token>" (from /oauth2/v1/token) grants the
// route's scope when the token carries it. It returns 0 when allowed, else
// the status to answer.
func (s *Server) authorize(r *http.Request, rt *route, now time.Time) (int, string) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	a := s.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	switch strings.ToUpper(scheme) {
	case "SSWS":
		for _, t := range a.tokens {
			if t == tok && tok != "" {
				return 0, ""
			}
		}
	case "BEARER":
		at, ok := a.access[tok]
		if !ok || !now.Before(at.expires) {
			break
		}
		if rt.scope != "" && !at.scopes[rt.scope] && !at.scopes[manageScope(rt.scope)] {
			return http.StatusForbidden, "The access token provided does not contain the required scopes."
		}
		return 0, ""
	}
	return http.StatusUnauthorized, "Invalid token provided"
}

// manageScope returns the okta.*.manage scope that implies a .read scope.
func manageScope(scope string) string {
	if base, ok := strings.CutSuffix(scope, ".read"); ok {
		return base + ".manage"
	}
	return scope
}

// issue stores a new access token for the client.
func (a *authState) issue(clientID string, scopes []string, expires time.Time) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.issued++
	tok := "sim-at-" + strconv.FormatInt(a.issued, 10) + "-" + strconv.FormatUint(providersim.SplitMix64(uint64(a.issued))%1e12, 36)
	set := make(map[string]bool, len(scopes))
	for _, sc := range scopes {
		set[sc] = true
	}
	a.access[tok] = accessToken{clientID: clientID, scopes: set, expires: expires}
	return tok
}
