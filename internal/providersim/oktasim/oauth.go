package oktasim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// tokenLifetime is how long issued access tokens live.
const tokenLifetime = time.Hour

// oauthError writes an OAuth 2.0 error response.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	writeBody(w, status, body)
}

// token serves POST /oauth2/v1/token for client_credentials with
// private_key_jwt. Parameters may come in the query (as okta-sdk-golang v5
// sends them) or a form body.
func (s *Server) token(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed request")
		return
	}
	f := r.Form
	if f.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported.")
		return
	}
	if f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client_assertion_type must be jwt-bearer")
		return
	}
	client, err := s.checkAssertion(f.Get("client_assertion"), rq.base+"/oauth2/v1/token", rq.now)
	if err != nil {
		oauthError(w, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	scopes := strings.Fields(f.Get("scope"))
	if len(scopes) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		return
	}
	if client.Scopes != nil {
		allowed := map[string]bool{}
		for _, sc := range client.Scopes {
			allowed[sc] = true
		}
		for _, sc := range scopes {
			if !allowed[sc] {
				oauthError(w, http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed: "+sc)
				return
			}
		}
	}
	tok := s.auth.issue(client.ClientID, scopes, rq.now.Add(tokenLifetime))
	body, _ := json.Marshal(map[string]any{
		"token_type": "Bearer", "expires_in": int(tokenLifetime / time.Second),
		"access_token": tok, "scope": strings.Join(scopes, " "),
	})
	writeBody(w, http.StatusOK, body)
}

// checkAssertion validates a private_key_jwt client assertion: three
// base64url parts, iss = sub = a registered client id, aud = the token URL,
// exp in the future, and the signature when the client has a public key.
func (s *Server) checkAssertion(jwt, aud string, now time.Time) (OAuthClient, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return OAuthClient{}, errors.New("client_assertion is not a JWT")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp int64           `json:"exp"`
	}
	if err := simhttp.DecodeSegment(parts[0], &header); err != nil {
		return OAuthClient{}, errors.New("client_assertion header is invalid")
	}
	if err := simhttp.DecodeSegment(parts[1], &claims); err != nil {
		return OAuthClient{}, errors.New("client_assertion claims are invalid")
	}
	s.auth.mu.Lock()
	client, ok := s.auth.clients[claims.Iss]
	s.auth.mu.Unlock()
	switch {
	case !ok:
		return OAuthClient{}, errors.New("client_id is not registered")
	case claims.Sub != claims.Iss:
		return OAuthClient{}, errors.New("the sub claim must equal the client id")
	case !simhttp.AudienceIs(claims.Aud, aud):
		return OAuthClient{}, errors.New("the aud claim must be " + aud)
	case claims.Exp == 0 || !now.Before(time.Unix(claims.Exp, 0)):
		return OAuthClient{}, errors.New("the client_assertion has expired")
	}
	if client.PublicKey != nil {
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			return OAuthClient{}, errors.New("client_assertion signature is not base64url")
		}
		if err := verifyJWS(header.Alg, client.PublicKey, parts[0]+"."+parts[1], sig); err != nil {
			return OAuthClient{}, err
		}
	}
	return client, nil
}

// verifyJWS checks a JWS signature for the RS* and ES* algorithms.
func verifyJWS(alg string, key crypto.PublicKey, signed string, sig []byte) error {
	if len(alg) != 5 {
		return errors.New("unsupported alg " + alg)
	}
	var h hash.Hash
	var ch crypto.Hash
	switch alg[2:] {
	case "256":
		h, ch = sha256.New(), crypto.SHA256
	case "384":
		h, ch = sha512.New384(), crypto.SHA384
	case "512":
		h, ch = sha512.New(), crypto.SHA512
	default:
		return errors.New("unsupported alg " + alg)
	}
	h.Write([]byte(signed))
	digest := h.Sum(nil)
	bad := errors.New("client_assertion signature does not verify")
	switch k := key.(type) {
	case *rsa.PublicKey:
		if !strings.HasPrefix(alg, "RS") || rsa.VerifyPKCS1v15(k, ch, digest, sig) != nil {
			return bad
		}
	case *ecdsa.PublicKey:
		n := len(sig) / 2
		if !strings.HasPrefix(alg, "ES") || len(sig)%2 != 0 ||
			!ecdsa.Verify(k, digest, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
			return bad
		}
	default:
		return errors.New("unsupported public key type")
	}
	return nil
}
