package entrasim

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// authState holds the app registrations and the access tokens issued.
type authState struct {
	mu     sync.Mutex
	apps   map[string]*App
	issued map[string]grant
}

// grant is what an access token stands for.
type grant struct {
	app     *App
	expires time.Time // zero: never (static tokens)
}

func newAuthState(apps []App, static []string) *authState {
	a := &authState{apps: map[string]*App{}, issued: map[string]grant{}}
	for i := range apps {
		a.apps[apps[i].ClientID] = &apps[i]
	}
	for _, t := range static {
		a.issued[t] = grant{app: &apps[0]}
	}
	return a
}

// hasRole reports whether the app was consented one of roles (nil Roles: every role).
func (g grant) hasRole(roles ...string) bool {
	if g.app.Roles == nil {
		return true
	}
	for _, have := range g.app.Roles {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

// knownTenant reports whether the path's tenant names this tenant: its id or one of its domains.
func (s *Server) knownTenant(t string) bool {
	t = strings.ToLower(t)
	prefix, _, _ := strings.Cut(s.company.Domain, ".")
	return t == s.tenantID || t == strings.ToLower(s.company.Domain) || t == strings.ToLower(prefix)+".onmicrosoft.com"
}

// openIDConfig serves GET /{tenant}/v2.0/.well-known/openid-configuration (the authority metadata MSAL reads
// before requesting a token).
func (s *Server) openIDConfig(w http.ResponseWriter, r *http.Request) {
	t := r.PathValue("tenant")
	if !s.knownTenant(t) {
		s.stsError(w, r, http.StatusBadRequest, "invalid_tenant", 90002, "Tenant '"+t+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return
	}
	base := baseURL(r) + "/" + s.tenantID
	body, _ := json.Marshal(map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"issuer":                                base + "/v2.0",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"tenant_region_scope":                   "NA",
	})
	writeJSON(w, http.StatusOK, body)
}

// token serves POST /{tenant}/oauth2/v2.0/token: the client credentials grant with a client secret or a
// client assertion signed by a registered certificate, for the Graph .default scope.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if !s.knownTenant(tenant) {
		s.stsError(w, r, http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.stsError(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	f := r.PostForm
	missing := func(p string) {
		s.stsError(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: '"+p+"'.")
	}
	gt := f.Get("grant_type")
	switch {
	case gt == "":
		missing("grant_type")
		return
	case gt != "client_credentials":
		s.stsError(w, r, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'.")
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if clientID == "" {
		missing("client_id")
		return
	}
	s.auth.mu.Lock()
	app := s.auth.apps[clientID]
	s.auth.mu.Unlock()
	if app == nil {
		s.stsError(w, r, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+clientID+"' was not found in the directory '"+tenant+"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
		return
	}
	scope := f.Get("scope")
	if scope == "" {
		missing("scope")
		return
	}
	if !graphDefaultScope(scope) {
		s.stsError(w, r, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope "+scope+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	switch assertion := f.Get("client_assertion"); {
	case secret != "":
		if app.Secret == "" || secret != app.Secret {
			s.stsError(w, r, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+clientID+"'.")
			return
		}
	case assertion != "":
		if f.Get("client_assertion_type") != assertionType {
			s.stsError(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_assertion_type'.")
			return
		}
		aud := baseURL(r) + "/" + tenant + "/oauth2/v2.0/token"
		if code, msg := s.checkAssertion(app, assertion, aud); code != 0 {
			s.stsError(w, r, http.StatusUnauthorized, "invalid_client", code, msg)
			return
		}
	default:
		s.stsError(w, r, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	now := s.now()
	tok := s.issue(app, now)
	body, _ := json.Marshal(map[string]any{
		"token_type": "Bearer", "expires_in": int(tokenLifetime / time.Second),
		"ext_expires_in": int(tokenLifetime / time.Second), "access_token": tok,
	})
	writeJSON(w, http.StatusOK, body)
}

// graphDefaultScope accepts Graph's .default scope by URI or application id, once, alongside the OpenID scopes
// MSAL adds to every token request (openid, profile, offline_access), which client credentials ignore.
func graphDefaultScope(scope string) bool {
	n := 0
	for _, f := range strings.Fields(scope) {
		switch f {
		case GraphScope, "https://graph.microsoft.com//.default", "00000003-0000-0000-c000-000000000000/.default":
			n++
		case "openid", "profile", "offline_access":
		default:
			return false
		}
	}
	return n == 1
}

// issue mints a JWT-shaped access token for the app (its signature is not meant to be checked: Graph
// clients treat access tokens as opaque).
func (s *Server) issue(app *App, now time.Time) string {
	exp := now.Add(tokenLifetime)
	claims, _ := json.Marshal(map[string]any{
		"aud": "https://graph.microsoft.com", "iss": "https://sts.windows.net/" + s.tenantID + "/",
		"tid": s.tenantID, "appid": app.ClientID, "roles": app.Roles, "iat": now.Unix(), "nbf": now.Unix(),
		"exp": exp.Unix(), "uti": s.requestID(),
	})
	enc := base64.RawURLEncoding.EncodeToString
	tok := enc([]byte(`{"typ":"JWT","alg":"RS256"}`)) + "." + enc(claims) + "." + enc([]byte(s.requestID()))
	s.auth.mu.Lock()
	s.auth.issued[tok] = grant{app: app, expires: exp}
	s.auth.mu.Unlock()
	return tok
}

// bearer checks the Authorization header of a Graph call; ok false means the 401 was written.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (grant, bool) {
	fail := func(msg string) (grant, bool) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		s.graphError(w, r, http.StatusUnauthorized, codeInvalidAuth, msg)
		return grant{}, false
	}
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return fail("Access token is empty.")
	}
	s.auth.mu.Lock()
	g, ok := s.auth.issued[tok]
	s.auth.mu.Unlock()
	switch {
	case !ok:
		return fail("Access token validation failure. Invalid audience.")
	case !g.expires.IsZero() && !s.now().Before(g.expires):
		return fail("Lifetime validation failed, the token is expired.")
	}
	return g, true
}

// checkAssertion validates a client assertion: a JWS whose iss and sub are the client id, aud the token
// endpoint, exp in the future (nbf not ahead), signed by one of the app's registered certificates. It returns
// the AADSTS code and message of a failure, or 0.
func (s *Server) checkAssertion(app *App, jwt, aud string) (int, string) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return 50027, "JWT token is invalid or malformed."
	}
	var header struct {
		Alg     string   `json:"alg"`
		X5t     string   `json:"x5t"`
		X5tS256 string   `json:"x5t#S256"`
		X5c     []string `json:"x5c"`
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp int64           `json:"exp"`
		Nbf int64           `json:"nbf"`
	}
	if simhttp.DecodeSegment(parts[0], &header) != nil || simhttp.DecodeSegment(parts[1], &claims) != nil {
		return 50027, "JWT token is invalid or malformed."
	}
	now := s.now()
	switch {
	case claims.Iss != app.ClientID || claims.Sub != app.ClientID:
		return 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."
	case !simhttp.AudienceIs(claims.Aud, aud):
		return 700212, "The audience claim of the client assertion must be the token endpoint '" + aud + "'."
	case claims.Exp == 0 || !now.Before(time.Unix(claims.Exp, 0)) || (claims.Nbf != 0 && now.Add(5*time.Minute).Before(time.Unix(claims.Nbf, 0))):
		return 700024, "Client assertion is not within its valid time range."
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return 50027, "JWT token is invalid or malformed."
	}
	signed := parts[0] + "." + parts[1]
	matched := false
	for _, cert := range app.Certificates {
		if !certMatches(cert, header.X5t, header.X5tS256, header.X5c) {
			continue
		}
		matched = true
		if verifyJWS(header.Alg, cert.PublicKey, signed, sig) == nil {
			return 0, ""
		}
	}
	if !matched {
		return 700027, "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '" + header.X5t + "']"
	}
	return 700027, "Client assertion failed signature validation."
}

// certMatches reports whether the assertion header names cert (no thumbprint: any registered cert may match).
// Thumbprints are accepted in base64url (RFC 7515) and in standard base64, which MSAL sends.
func certMatches(cert *x509.Certificate, x5t, x5tS256 string, x5c []string) bool {
	s1, s256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
	switch {
	case x5tS256 != "":
		return bytes.Equal(thumbprintBytes(x5tS256), s256[:])
	case x5t != "":
		return bytes.Equal(thumbprintBytes(x5t), s1[:])
	case len(x5c) > 0:
		return x5c[0] == base64.StdEncoding.EncodeToString(cert.Raw)
	}
	return true
}

// thumbprintBytes decodes a base64url or standard base64 thumbprint, padded or not; nil when it is neither.
func thumbprintBytes(t string) []byte {
	t = strings.TrimRight(t, "=")
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(t); err == nil {
			return b
		}
	}
	return nil
}

// verifyJWS checks an RS256, PS256 or ES256 signature.
func verifyJWS(alg string, key crypto.PublicKey, signed string, sig []byte) error {
	digest := sha256.Sum256([]byte(signed))
	bad := errors.New("signature does not verify")
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256":
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig)
		case "PS256":
			return rsa.VerifyPSS(k, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
	case *ecdsa.PublicKey:
		n := len(sig) / 2
		if alg == "ES256" && len(sig)%2 == 0 && ecdsa.Verify(k, digest[:], new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
			return nil
		}
		return bad
	}
	return bad
}
