package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

const missingAuthentication = "MissingAuthenticationTokenException"

// JSONConfig describes an API in the AWS JSON protocol.
type JSONConfig struct {
	Name         string      // the fake's name, in request ids ("kmsfake-00000001") and messages
	Version      string      // "1.0" or "1.1": requests and answers are application/x-amz-json-<Version>
	TargetPrefix string      // "TrentService.": requests carry X-Amz-Target: <TargetPrefix><Operation>
	MaxBody      int64       // the largest request body read
	ErrorPrefix  string      // when set, qualifies error types that lack a namespace ("com.amazonaws.sqs#")
	Lock         sync.Locker // held while a request is answered, so the fake guards its state with it
}

// JSON is the front of a fake of an API in the AWS JSON protocol: it answers signed POSTs to / with the
// protocol's Content-Type and an X-Amz-Target naming an operation given to Handle, a JSON object in and out,
// and errors in the shape {"__type": "...", "message": "..."}. Every answer carries an X-Amzn-Requestid.
type JSON struct {
	Server

	cfg         JSONConfig
	contentType string
	ops         map[string]func(body []byte) (any, *Error)
}

// NewJSON returns the front of an API described by cfg, with no operations yet. Start it once they are handled.
func NewJSON(cfg JSONConfig) *JSON {
	return &JSON{cfg: cfg, contentType: "application/x-amz-json-" + cfg.Version, ops: map[string]func([]byte) (any, *Error){}}
}

// Handle serves operation op with fn. fn gets the request body decoded into In (left zero when the body is
// empty) and returns the answer, encoded as JSON, or an error.
func Handle[In any](j *JSON, op string, fn func(In) (any, *Error)) {
	j.ops[op] = func(body []byte) (any, *Error) {
		var in In
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, Errorf("SerializationException", "malformed request body: %v", err)
			}
		}
		return fn(in)
	}
}

// ServeHTTP answers one request.
func (j *JSON) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, j.cfg.MaxBody+1))
	j.cfg.Lock.Lock()
	defer j.cfg.Lock.Unlock()
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("%s-%08d", j.cfg.Name, j.CountRequest()))
	w.Header().Set("Content-Type", j.contentType)
	out, e := j.serve(r, body, readErr)
	if e != nil {
		typ := e.Type
		if j.cfg.ErrorPrefix != "" && !strings.Contains(typ, "#") && typ != missingAuthentication {
			typ = j.cfg.ErrorPrefix + typ
		}
		WriteJSONError(w, e.Status, typ, e.Message)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

func (j *JSON) serve(r *http.Request, body []byte, readErr error) (any, *Error) {
	if !Signed(r) {
		return nil, &Error{Status: http.StatusBadRequest, Type: missingAuthentication, Message: "Missing Authentication Token"}
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), j.cfg.TargetPrefix)
	if r.Method != http.MethodPost || r.URL.Path != "/" || !ok || !strings.HasPrefix(r.Header.Get("Content-Type"), j.contentType) {
		return nil, Errorf("UnknownOperationException", "want POST / with X-Amz-Target %s<Operation> and Content-Type %s", j.cfg.TargetPrefix, j.contentType)
	}
	if readErr != nil || int64(len(body)) > j.cfg.MaxBody {
		return nil, Errorf("SerializationException", "cannot read the request body")
	}
	if fault := j.TakeFault(op); fault != nil {
		return nil, fault
	}
	fn, ok := j.ops[op]
	if !ok {
		return nil, Errorf("UnknownOperationException", "operation %q is not supported by %s", op, j.cfg.Name)
	}
	return fn(body)
}

// WriteJSON answers HTTP status and v encoded as JSON, as application/json unless a Content-Type is set.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"__type":"InternalFailure","message":"the fake cannot encode its answer"}`)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteJSONError answers HTTP status and an error in the AWS JSON protocol's shape:
// {"__type": errorType, "message": message}.
func WriteJSONError(w http.ResponseWriter, status int, errorType, message string) {
	WriteJSON(w, status, map[string]string{"__type": errorType, "message": message})
}
