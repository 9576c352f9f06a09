package googlesim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// ScopeCloudPlatform is the scope a caller needs for the IAM Credentials API.
const ScopeCloudPlatform = "https://www.googleapis.com/auth/cloud-platform"

// RouteSignJwt is the IAM Credentials signJwt endpoint (the name ends in ":signJwt").
const RouteSignJwt = "/v1/projects/-/serviceAccounts/{name}"

// signJwt is IAM Credentials projects.serviceAccounts.signJwt for the domain's generated service account: a
// caller (Options.Callers) with a cloud-platform token signs a JWT as the service account without holding its key
// (roles/iam.serviceAccountTokenCreator). The answer is {"keyId","signedJwt"}; the header names the key.
func (s *Server) signJwt(w http.ResponseWriter, r *http.Request) {
	s.stats.Update(func(st *Stats) { st.Total++ })
	email, ok := strings.CutSuffix(r.PathValue("name"), ":signJwt")
	if !ok {
		notFound(w, "method")
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.RLock()
	g, issued := s.issued[tok]
	s.mu.RUnlock()
	if !issued || !s.clock().Before(g.expires) {
		apiError(w, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", errorItem{Domain: "global", Reason: "authError", Message: "Invalid Credentials"})
		return
	}
	callerOK := slices.ContainsFunc(s.opts.Callers, func(sa ServiceAccount) bool { return sa.ClientEmail == g.caller && sa.TokenCreator })
	if !g.hasScope(ScopeCloudPlatform) || !callerOK || s.signKey == nil || email != s.accounts[0].ClientEmail {
		apiError(w, 403, "PERMISSION_DENIED", "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist).",
			errorItem{Domain: "global", Reason: "forbidden", Message: "The caller does not have permission"})
		return
	}
	var req struct {
		Payload string `json:"payload"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || !json.Valid([]byte(req.Payload)) {
		badRequest(w, "Invalid JSON payload received.")
		return
	}
	kid := s.accounts[0].KeyID
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": kid, "typ": "JWT"})
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString([]byte(req.Payload))
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.signKey, crypto.SHA256, sum[:])
	if err != nil {
		apiError(w, 500, "INTERNAL", "Internal error encountered.")
		return
	}
	body, _ := json.Marshal(map[string]string{"keyId": kid, "signedJwt": input + "." + base64.RawURLEncoding.EncodeToString(sig)})
	writeJSON(w, http.StatusOK, body)
}
