package entrasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// Graph error codes the simulator answers with (Microsoft Graph error responses; directory codes).
const (
	codeInvalidAuth      = "InvalidAuthenticationToken"
	codeDenied           = "Authorization_RequestDenied"
	codeNotFound         = "Request_ResourceNotFound"
	codeBadRequest       = "BadRequest"
	codeRequestBad       = "Request_BadRequest"
	codeUnsupportedQuery = "Request_UnsupportedQuery"
	codeNonPremium       = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
	codeExpiredPageToken = "Directory_ExpiredPageToken"
	codeSyncStateNotFund = "syncStateNotFound"
	codeThrottled        = "TooManyRequests"
	codeUnavailable      = "serviceNotAvailable"
	codeServerError      = "generalException"
)

// graphError writes Graph's error body: {"error":{"code","message","innerError":{"date","request-id",
// "client-request-id"}}}.
func (s *Server) graphError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	reqID := s.requestID()
	inner := map[string]string{
		"date":       s.now().Format("2006-01-02T15:04:05"),
		"request-id": reqID, "client-request-id": r.Header.Get("client-request-id"),
	}
	if inner["client-request-id"] == "" {
		inner["client-request-id"] = reqID
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg, "innerError": inner}})
	w.Header().Set("request-id", reqID)
	writeJSON(w, status, body)
}

// statusError answers a fault's status with the code Graph uses for it.
func (s *Server) statusError(w http.ResponseWriter, r *http.Request, f Fault) {
	code, msg := codeServerError, "An internal server error occurred."
	switch f.Status {
	case http.StatusUnauthorized:
		code, msg = codeInvalidAuth, "Access token validation failure."
	case http.StatusForbidden:
		code, msg = codeDenied, "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		code, msg = codeNotFound, "Resource does not exist or one of its queried reference-property objects are not present."
	case http.StatusGone:
		code, msg = codeSyncStateNotFund, "The sync state generation is not found. Please re-sync."
	case http.StatusTooManyRequests:
		code, msg = codeThrottled, "Too many requests."
	case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		code, msg = codeUnavailable, "Service unavailable."
	}
	if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	s.graphError(w, r, f.Status, code, msg)
}

// stsError writes the token endpoint's error body: error, error_description ("AADSTS<n>: ..." followed by the
// trace id, correlation id and timestamp), error_codes, timestamp, trace_id, correlation_id, error_uri.
func (s *Server) stsError(w http.ResponseWriter, r *http.Request, status int, errCode string, aadsts int, msg string) {
	now := s.now()
	ts := now.Format("2006-01-02 15:04:05Z")
	trace, corr := s.requestID(), s.requestID()
	if c := r.Header.Get("client-request-id"); c != "" {
		corr = c
	}
	desc := fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", aadsts, msg, trace, corr, ts)
	body, _ := json.Marshal(map[string]any{
		"error": errCode, "error_description": desc, "error_codes": []int{aadsts}, "timestamp": ts,
		"trace_id": trace, "correlation_id": corr,
		"error_uri": baseURL(r) + "/error?code=" + strconv.Itoa(aadsts),
	})
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// requestID returns a fresh GUID for request-id, trace and correlation ids.
func (s *Server) requestID() string {
	return guid(s.company.Config.Seed^int64(providersim.SplitMix64(uint64(s.opts.Run))), kindRequest, uint64(s.reqSeq.Add(1)))
}

// baseURL is the scheme and host the request came to; links point back at it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Object kinds mixed into generated GUIDs.
const (
	kindTenant uint64 = iota + 1
	kindUser
	kindGroup
	kindRequest
	kindToken
)

// guid returns a deterministic version-4-shaped GUID for (seed, kind, n).
func guid(seed int64, kind, n uint64) string {
	a := providersim.SplitMix64(uint64(seed) ^ kind<<56 ^ n)
	return providersim.UUIDv4(a, providersim.SplitMix64(a^n*0x9E3779B97F4A7C15^kind))
}

// timeJSON formats a Graph DateTimeOffset.
func timeJSON(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
