package githubsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// App is a GitHub App registered with the simulator: its id, the public half of its private key, and the id of
// its installation on the organization. Installation tokens minted for it are accepted like Options.Tokens
// until they expire.
type App struct {
	ID             int64
	InstallationID int64
	Key            *rsa.PublicKey
}

// TokenTTL is how long a minted installation token is valid (GitHub: one hour).
const TokenTTL = time.Hour

// appTokens are the installation tokens minted so far, token → expiry.
type appTokens struct {
	mu     sync.Mutex
	tokens map[string]time.Time
	minted int
}

func (a *appTokens) valid(tok string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.tokens[tok]
	return ok && now.Before(exp)
}

func (a *appTokens) mint(now time.Time) (string, time.Time) {
	var b [20]byte
	_, _ = rand.Read(b[:])
	tok := "ghs_" + hex.EncodeToString(b[:])
	exp := now.Add(TokenTTL).Truncate(time.Second)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tokens == nil {
		a.tokens = map[string]time.Time{}
	}
	a.tokens[tok] = exp
	a.minted++
	return tok, exp
}

// TokensMinted is how many installation tokens the server has issued.
func (s *Server) TokensMinted() int {
	s.apps.mu.Lock()
	defer s.apps.mu.Unlock()
	return s.apps.minted
}

// appRoutes serve the App endpoints, authenticated by the App JWT rather than a token.
func (s *Server) appRoutes() {
	s.mux.HandleFunc("POST /app/installations/{installation_id}/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		status := s.createInstallationToken(w, r)
		s.stats.record("POST /app/installations/{installation_id}/access_tokens", status, false)
	})
	s.mux.HandleFunc("GET /app/installations", func(w http.ResponseWriter, r *http.Request) {
		status := s.listAppInstallations(w, r)
		s.stats.record("GET /app/installations", status, false)
	})
}

func (s *Server) createInstallationToken(w http.ResponseWriter, r *http.Request) int {
	app, msg := s.verifyAppJWT(r.Header.Get("Authorization"))
	if app == nil {
		return s.writeBody(w, http.StatusUnauthorized, apiError{Message: msg, DocumentationURL: "https://docs.github.com/rest"})
	}
	id, err := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	if err != nil || id != app.InstallationID {
		return s.writeBody(w, http.StatusNotFound, apiError{Message: "Not Found", DocumentationURL: "https://docs.github.com/rest"})
	}
	tok, exp := s.apps.mint(s.clock())
	return s.writeBody(w, http.StatusCreated, map[string]any{"token": tok, "expires_at": exp.UTC().Format(time.RFC3339),
		"permissions": map[string]string{"members": "read", "administration": "read", "metadata": "read"}, "repository_selection": "all"})
}

func (s *Server) listAppInstallations(w http.ResponseWriter, r *http.Request) int {
	app, msg := s.verifyAppJWT(r.Header.Get("Authorization"))
	if app == nil {
		return s.writeBody(w, http.StatusUnauthorized, apiError{Message: msg, DocumentationURL: "https://docs.github.com/rest"})
	}
	return s.writeBody(w, http.StatusOK, []map[string]any{{"id": app.InstallationID, "app_id": app.ID, "target_id": s.org.ID,
		"target_type": "Organization", "repository_selection": "all",
		"account": map[string]any{"login": s.org.Login, "id": s.org.ID, "type": "Organization"}}})
}

// verifyAppJWT checks an "Authorization: Bearer <jwt>" as GitHub does: RS256 signed by a registered App's key,
// iss = the App id, iat not in the future (60 s of skew), exp in the future and at most 10 minutes after iat.
func (s *Server) verifyAppJWT(h string) (*App, string) {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, "A JSON web token could not be decoded"
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, "A JSON web token could not be decoded"
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat int64           `json:"iat"`
		Exp int64           `json:"exp"`
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || simhttp.DecodeSegment(parts[0], &hdr) != nil || hdr.Alg != "RS256" ||
		simhttp.DecodeSegment(parts[1], &claims) != nil {
		return nil, "A JSON web token could not be decoded"
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	var app *App
	for i := range s.opts.Apps {
		if strconv.FormatInt(s.opts.Apps[i].ID, 10) == iss {
			app = &s.opts.Apps[i]
		}
	}
	if app == nil || app.Key == nil {
		return nil, "Integration not found"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(app.Key, crypto.SHA256, sum[:], sig) != nil {
		return nil, "A JSON web token could not be decoded"
	}
	now := s.clock().Unix()
	switch {
	case claims.Iat == 0 || claims.Exp == 0:
		return nil, "Missing 'issued at' or 'expiration time' claim ('iat'/'exp')"
	case claims.Iat > now+60:
		return nil, "'Issued at' claim ('iat') must be an Integer representing a time in the past"
	case claims.Exp <= now:
		return nil, "'Expiration time' claim ('exp') is too far in the future or has passed"
	case claims.Exp-claims.Iat > 600+60:
		return nil, "'Expiration time' claim ('exp') is too far in the future"
	}
	return app, ""
}
