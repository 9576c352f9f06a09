package oktasim

import (
	"net/http"
)

// Okta error codes the simulator returns.
const (
	codeValidation     = "E0000001" // 400 Api validation failed
	codeForbidden      = "E0000006" // 403 insufficient permissions
	codeNotFound       = "E0000007" // 404 resource not found
	codeInternal       = "E0000009" // 500 internal server error
	codeInvalidToken   = "E0000011" // 401 invalid token
	codeMethod         = "E0000022" // 405 method not supported
	codeInvalidSearch  = "E0000031" // 400 invalid search criteria
	codeRateLimit      = "E0000047" // 429 rate limit exceeded
	codeHookVerifyFail = "E0000001" // 400 event hook verification failed
)

// defaultError returns the Okta error code and summary for an HTTP status.
func defaultError(status int) (string, string) {
	switch status {
	case http.StatusBadRequest:
		return codeValidation, "Api validation failed"
	case http.StatusUnauthorized:
		return codeInvalidToken, "Invalid token provided"
	case http.StatusForbidden:
		return codeForbidden, "You do not have permission to perform the requested action"
	case http.StatusNotFound:
		return codeNotFound, "Not found: Resource not found"
	case http.StatusMethodNotAllowed:
		return codeMethod, "The endpoint does not support the provided HTTP method"
	case http.StatusTooManyRequests:
		return codeRateLimit, "API call exceeded rate limit due to too many requests."
	}
	return codeInternal, "Internal Server Error"
}

// writeError writes an Okta error body:
// {"errorCode","errorSummary","errorLink","errorId","errorCauses":[{"errorSummary"}]}.
func (s *Server) writeError(w http.ResponseWriter, status int, code, summary string, causes ...string) {
	if code == "" {
		code, summary = defaultError(status)
	}
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	jw.beginObject()
	jw.fStr("errorCode", code)
	jw.fStr("errorSummary", summary)
	jw.fStr("errorLink", code)
	jw.fStr("errorId", s.ids.id(prefixError, s.errSeq.Add(1)))
	jw.key("errorCauses")
	jw.beginArray()
	for _, c := range causes {
		jw.beginObject()
		jw.fStr("errorSummary", c)
		jw.endObject()
	}
	jw.endArray()
	jw.endObject()
	writeBody(w, status, jw.b)
}

// notFound writes Okta's 404 for a missing object of the named type.
func (s *Server) notFound(w http.ResponseWriter, id, typ string) {
	s.writeError(w, http.StatusNotFound, codeNotFound, "Not found: Resource not found: "+id+" ("+typ+")")
}

// writeBody writes a JSON response.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
