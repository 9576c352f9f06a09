package awssim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Target prefixes of the JSON services.
const (
	prefixIdentityStore = "AWSIdentityStore."
	prefixSSOAdmin      = "SWBExternalService."
	prefixCloudTrail    = "CloudTrail_20131101."
)

// apiError is an AWS JSON error answer.
type apiError struct {
	status     int
	code, msg  string
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func validation(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationException", msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException", msg: fmt.Sprintf(format, args...)}
}

// call is one decoded JSON request.
type call struct {
	op     string // the full X-Amz-Target
	body   []byte
	page   int // 1-based page of a listing, from the NextToken
	region string
}

// ServeHTTP answers every service on POST /.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if target == "" && r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.serveSTS(w, r, body)
		return
	}
	c := &call{op: target, body: body, page: pageOf(body)}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		s.writeError(w, c, &apiError{status: http.StatusNotFound, code: "UnknownOperationException", msg: "POST / only"}, false)
		return
	}
	region, aerr := s.authorize(r, body)
	c.region = region
	if aerr != nil {
		s.writeError(w, c, aerr, false)
		return
	}
	if f, ok := s.fault(c.op, c.page, FaultServer, FaultAccessDenied, FaultThrottling, FaultTooManyRequests); ok {
		s.writeError(w, c, faultError(f), true)
		return
	}
	var out any
	switch {
	case c.region != s.opts.Region && target == prefixSSOAdmin+"ListInstances":
		// Identity Center data exists only in the home region: elsewhere there is no instance.
		out = map[string]any{"Instances": []any{}}
	case c.region != s.opts.Region && (strings.HasPrefix(target, prefixIdentityStore) || strings.HasPrefix(target, prefixSSOAdmin)):
		aerr = notFound("The requested resource does not exist in region %s", c.region)
	case strings.HasPrefix(target, prefixIdentityStore):
		out, aerr = s.identityStore(c, strings.TrimPrefix(target, prefixIdentityStore))
	case strings.HasPrefix(target, prefixSSOAdmin):
		out, aerr = s.ssoAdmin(c, strings.TrimPrefix(target, prefixSSOAdmin))
	case strings.HasPrefix(target, prefixCloudTrail):
		out, aerr = s.cloudTrail(c, strings.TrimPrefix(target, prefixCloudTrail))
	default:
		aerr = &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: "unknown operation " + target}
	}
	if aerr != nil {
		s.writeError(w, c, aerr, false)
		return
	}
	raw, err := json.Marshal(out)
	if err != nil {
		s.writeError(w, c, &apiError{status: 500, code: "InternalServerException", msg: err.Error()}, false)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", requestID(body))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
	s.record(c.op, c.region, http.StatusOK, false, false)
}

func faultError(f Fault) *apiError {
	wait := f.Wait
	if wait <= 0 {
		wait = time.Second
	}
	switch f.Kind {
	case FaultServer:
		return &apiError{status: http.StatusInternalServerError, code: "InternalServerException", msg: "An internal error occurred"}
	case FaultAccessDenied:
		return &apiError{status: http.StatusBadRequest, code: "AccessDeniedException", msg: "User is not authorized to perform this action"}
	case FaultTooManyRequests:
		return &apiError{status: http.StatusTooManyRequests, code: "TooManyRequestsException", msg: "Too many requests", retryAfter: wait}
	}
	return &apiError{status: http.StatusBadRequest, code: "ThrottlingException", msg: "Rate exceeded", retryAfter: wait}
}

// writeError answers err as the JSON protocols do: __type in the body and X-Amzn-ErrorType.
func (s *Server) writeError(w http.ResponseWriter, c *call, e *apiError, faulted bool) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-ErrorType", e.code)
	h.Set("X-Amzn-Requestid", requestID(c.body))
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(e.status)
	body := map[string]any{"__type": e.code, "message": e.msg}
	if e.retryAfter > 0 && strings.HasPrefix(c.op, prefixIdentityStore) {
		// awsJson 1.1 carries members in the body: Identity Store's ThrottlingException has RetryAfterSeconds.
		body["RetryAfterSeconds"] = int((e.retryAfter + time.Second - 1) / time.Second)
	}
	raw, _ := json.Marshal(body)
	_, _ = w.Write(raw)
	throttled := e.code == "ThrottlingException" || e.code == "TooManyRequestsException"
	s.record(c.op, c.region, e.status, throttled, faulted)
	s.stats.Update(func(st *Stats) { simhttp.Count(&st.Errors, c.op+" "+e.code) })
}

func requestID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}

// authorize checks the SigV4 Authorization header: its credential must be the simulator's access key or a live
// session key (whose session token must come along). It returns the credential scope's region.
func (s *Server) authorize(r *http.Request, body []byte) (string, *apiError) {
	denied := func(msg string) (string, *apiError) {
		return "", &apiError{status: http.StatusBadRequest, code: "UnrecognizedClientException", msg: msg}
	}
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", &apiError{status: http.StatusBadRequest, code: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"}
	}
	var cred, sig string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = v
		case "Signature":
			sig = v
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || len(sig) != 64 || r.Header.Get("X-Amz-Date") == "" {
		return denied("The security token included in the request is invalid: malformed SigV4 authorization")
	}
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != "UNSIGNED-PAYLOAD" {
		sum := sha256.Sum256(body)
		if h != hex.EncodeToString(sum[:]) {
			return denied("The request signature we calculated does not match the signature you provided")
		}
	}
	key := scope[0]
	if key == s.opts.AccessKeyID {
		return scope[2], nil
	}
	s.mu.RLock()
	sess, ok := s.sessions[key]
	s.mu.RUnlock()
	switch {
	case !ok:
		return denied("The security token included in the request is invalid")
	case r.Header.Get("X-Amz-Security-Token") != sess.token:
		return denied("The security token included in the request is invalid")
	case !s.clock().Before(sess.expires):
		return "", &apiError{status: http.StatusBadRequest, code: "ExpiredTokenException", msg: "The security token included in the request is expired"}
	}
	return scope[2], nil
}

// pageToken is the state a NextToken carries: the operation and parameters it belongs to, where the next page
// starts, its page number, and (CloudTrail) the listing's end.
type pageToken struct {
	Params string `json:"p"`
	Offset int    `json:"o"`
	Page   int    `json:"n"`
	End    int64  `json:"e,omitempty"`
}

func encodeToken(t pageToken) string {
	raw, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeToken(s string) (pageToken, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var t pageToken
	if err != nil || json.Unmarshal(raw, &t) != nil || t.Page < 2 || t.Offset < 0 {
		return pageToken{}, false
	}
	return t, true
}

// pageOf reads the page number a request asks for from its NextToken (1 without one).
func pageOf(body []byte) int {
	var in struct{ NextToken string }
	if json.Unmarshal(body, &in) != nil || in.NextToken == "" {
		return 1
	}
	if t, ok := decodeToken(in.NextToken); ok {
		return t.Page
	}
	return 1
}

// paramsKey is what binds a token: the operation and the request without NextToken and MaxResults.
func paramsKey(op string, body []byte) string {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	delete(m, "NextToken")
	delete(m, "MaxResults")
	raw, _ := json.Marshal(m) // map keys are sorted
	sum := sha256.Sum256(append([]byte(op+"\n"), raw...))
	return hex.EncodeToString(sum[:12])
}

// pager cuts a listing of n items into the page a request asks for.
type pager struct {
	start, end int
	page       int
	next       string
}

// paginate reads MaxResults (1..limit, default def) and NextToken from the request and returns the window of
// the n items to answer, with the NextToken of the next page ("" on the last). badToken is the error code for a
// token of other parameters.
func (s *Server) paginate(c *call, n, def, limit int, badToken string) (pager, *apiError) {
	var in struct {
		NextToken  string
		MaxResults *int
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return pager{}, validation("malformed request: %v", err)
	}
	size := def
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > limit {
			code := "ValidationException"
			if badToken == "InvalidNextTokenException" {
				code = "InvalidMaxResultsException"
			}
			return pager{}, &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *in.MaxResults, limit)}
		}
		size = *in.MaxResults
	}
	if s.opts.PageSize > 0 {
		size = min(size, s.opts.PageSize)
	}
	key := paramsKey(c.op, c.body)
	p := pager{page: 1}
	if in.NextToken != "" {
		t, ok := decodeToken(in.NextToken)
		if !ok || t.Params != key {
			return pager{}, &apiError{status: http.StatusBadRequest, code: badToken, msg: "The NextToken is invalid or does not match the request's parameters"}
		}
		p.start, p.page = min(t.Offset, n), t.Page
	}
	p.end = min(p.start+size, n)
	switch {
	case p.end < n:
		p.next = encodeToken(pageToken{Params: key, Offset: p.end, Page: p.page + 1})
	case p.start < n || p.page == 1:
		// The last page with items: with the fault, it points at one more, empty page.
		if _, ok := s.fault(c.op, p.page, FaultEmptyLastPage); ok && n > 0 {
			p.next = encodeToken(pageToken{Params: key, Offset: n, Page: p.page + 1})
		}
	}
	return p, nil
}

// decode reads the request body into v.
func decode(c *call, v any) *apiError {
	d := json.NewDecoder(bytes.NewReader(c.body))
	if err := d.Decode(v); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "SerializationException", msg: "malformed request body"}
	}
	return nil
}

// epoch is a timestamp as the JSON protocols carry it: seconds since the epoch.
func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
