package googlesim

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// jwtBearer is the grant type of the service account flow.
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// googleTokenURL is the audience Google's key files name; the simulator accepts it besides its own URL.
const googleTokenURL = "https://oauth2.googleapis.com/token"

// grant is what an access token allows: the subject it acts as (index into dir.users, -1 for the service
// account itself) and its scopes.
type grant struct {
	caller  string // the service account that got the token
	subject int
	scopes  []string
	expires time.Time
}

func (g grant) hasScope(any ...string) bool {
	for _, s := range any {
		if slices.Contains(g.scopes, s) {
			return true
		}
	}
	return false
}

// KeyJSON renders a service account key file as Google issues it (type service_account, private_key as PKCS#8
// PEM); tokenURI "" names Google's token endpoint.
func KeyJSON(sa ServiceAccount, priv *rsa.PrivateKey, tokenURI string) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		panic("googlesim: marshal key: " + err.Error())
	}
	if tokenURI == "" {
		tokenURI = googleTokenURL
	}
	project := "sim-project"
	if _, host, ok := strings.Cut(sa.ClientEmail, "@"); ok {
		project, _, _ = strings.Cut(host, ".")
	}
	out, _ := json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": project, "private_key_id": sa.KeyID,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": sa.ClientEmail, "client_id": sa.ClientID,
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": tokenURI,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	return out
}

func withTokenURI(keyJSON []byte, tokenURI string) []byte {
	var m map[string]string
	if json.Unmarshal(keyJSON, &m) != nil {
		return keyJSON
	}
	m["token_uri"] = tokenURI
	out, _ := json.MarshalIndent(m, "", "  ")
	return out
}

// token is the OAuth token endpoint: the JWT bearer grant of a service account, with domain-wide delegation
// when the assertion names a subject.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.stats.Update(func(st *Stats) { st.Tokens++ })
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Could not parse the request body.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != jwtBearer {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	g, status, code, desc := s.verifyAssertion(r, r.PostForm.Get("assertion"))
	if code != "" {
		oauthError(w, status, code, desc)
		return
	}
	tok := s.newAccessToken()
	s.mu.Lock()
	s.issued[tok] = g
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"access_token": tok, "expires_in": int(tokenLifetime / time.Second), "token_type": "Bearer"})
	writeJSON(w, http.StatusOK, body)
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iss   string          `json:"iss"`
	Sub   string          `json:"sub"`
	Scope string          `json:"scope"`
	Aud   json.RawMessage `json:"aud"`
	Iat   int64           `json:"iat"`
	Exp   int64           `json:"exp"`
}

// verifyAssertion checks the assertion as Google does and returns the grant, or the OAuth error to answer.
func (s *Server) verifyAssertion(r *http.Request, assertion string) (grant, int, string, string) {
	bad := func(desc string) (grant, int, string, string) {
		return grant{}, http.StatusBadRequest, "invalid_grant", desc
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return bad("Invalid JWT: the assertion is not a JWS.")
	}
	var h jwtHeader
	var c jwtClaims
	if simhttp.DecodeSegment(parts[0], &h) != nil || simhttp.DecodeSegment(parts[1], &c) != nil {
		return bad("Invalid JWT: the assertion could not be decoded.")
	}
	var sa *ServiceAccount
	for i := range s.accounts {
		if s.accounts[i].ClientEmail == c.Iss {
			sa = &s.accounts[i]
		}
	}
	if sa == nil {
		return bad("Invalid grant: account not found")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if h.Alg != "RS256" || err != nil || (h.Kid != "" && h.Kid != sa.KeyID) ||
		rsa.VerifyPKCS1v15(sa.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return bad("Invalid JWT Signature.")
	}
	now := s.now().Unix()
	if c.Exp <= now || c.Iat > now+300 || c.Exp-c.Iat > 3600 {
		return bad("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
	}
	if !simhttp.AudienceIs(c.Aud, baseURL(r)+"/token") && !simhttp.AudienceIs(c.Aud, googleTokenURL) {
		return bad("Invalid JWT: Failed audience check.")
	}
	scopes := strings.Fields(c.Scope)
	if len(scopes) == 0 {
		return grant{}, http.StatusBadRequest, "invalid_scope", "Invalid OAuth scope or ID token audience provided."
	}
	g := grant{caller: sa.ClientEmail, subject: -1, scopes: scopes, expires: s.clock().Add(tokenLifetime)}
	if c.Sub == "" || c.Sub == c.Iss {
		return g, 0, "", ""
	}
	for _, sc := range scopes {
		if !slices.Contains(sa.DelegatedScopes, sc) {
			return grant{}, http.StatusUnauthorized, "unauthorized_client",
				"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
		}
	}
	s.mu.RLock()
	u, ok := s.dir.user(c.Sub)
	idx := -1
	if ok {
		idx = slices.Index(s.dir.users, u)
	}
	s.mu.RUnlock()
	if !ok || u.Suspended || u.Archived {
		return bad("Invalid email or User ID")
	}
	g.subject = idx
	return g, 0, "", ""
}

func (s *Server) newAccessToken() string {
	n := uint64(s.tokSeq.Add(1))
	m := hmac.New(sha256.New, s.key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	m.Write(b[:])
	return "ya29.sim" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// bearer resolves the request's access token; ok is false when it answered 401.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (grant, bool) {
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if found {
		if slices.Contains(s.staticTokens(), tok) {
			s.mu.RLock()
			sub := s.dir.superAdmin
			s.mu.RUnlock()
			return grant{subject: sub, scopes: append(slices.Clone(ReadScopes), ScopeUser, ScopeGroup, ScopeMember, ScopeRole)}, true
		}
		s.mu.RLock()
		g, ok := s.issued[tok]
		s.mu.RUnlock()
		if ok && s.clock().Before(g.expires) {
			return g, true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	apiError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
		"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
		errorItem{Domain: "global", Reason: "authError", Message: "Invalid Credentials", LocationType: "header", Location: "Authorization"})
	return grant{}, false
}

func (s *Server) staticTokens() []string {
	if s.opts.Tokens == nil {
		return []string{DefaultToken}
	}
	return s.opts.Tokens
}

// oauthError writes the token endpoint's error body.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// baseURL is the scheme and host the request came to.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func macKey(seed, run int64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seed))
	binary.BigEndian.PutUint64(b[8:], uint64(run))
	sum := sha256.Sum256(append([]byte("googlesim page tokens"), b[:]...))
	return sum[:]
}
