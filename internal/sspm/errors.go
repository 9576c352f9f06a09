package sspm

import (
	"errors"
	"fmt"
)

// Code classifies a domain error. Only the API layer maps codes to HTTP statuses.
type Code string

const (
	CodeInvalid      Code = "invalid"   // the caller's input is wrong
	CodeNotFound     Code = "not_found" // the thing asked for does not exist
	CodeConflict     Code = "conflict"  // the thing exists, or is busy (a run already going)
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeUnavailable  Code = "unavailable"  // a dependency is down or rate limited
	CodeRateLimited  Code = "rate_limited" // a rate limit asks for a wait beyond the work's budget (*WaitError): pause, not failure
	CodeInternal     Code = "internal"
)

// Error is a domain error with a code and a message safe to show to a client.
type Error struct {
	Code    Code
	Message string
	Err     error // the cause, for logs; never sent to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a domain error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns CodeRateLimited when err's chain holds a *WaitError (a connector may wrap it in a domain
// error of its own), else the code of the first domain error in err's chain, else CodeInternal.
func ErrorCode(err error) Code {
	if _, ok := AsWait(err); ok {
		return CodeRateLimited
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Sentinel errors of the run framework.
var (
	// ErrBusy: another run of the same connector and lane family holds the lease.
	ErrBusy = &Error{Code: CodeConflict, Message: "a run of this connector and lane is already in progress"}
	// ErrLeaseLost: the run's lease was taken over or the run was closed; the holder must stop writing.
	ErrLeaseLost = &Error{Code: CodeConflict, Message: "the run's lease was lost"}
	// ErrNotFound is wrapped by stores when a row does not exist.
	ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}
	// ErrStreamUnavailable is wrapped by a StreamSource's ReadStream when the stream cannot be read for this
	// connector at all (the provider plan or the credential's scopes do not allow it). It is a state, not a
	// failure: the tail lane records the stream as unavailable with the error's text as the reason, and reads it
	// again only rarely (lane.Tailer.UnavailableRetry, a day by default).
	ErrStreamUnavailable = &Error{Code: CodeNotFound, Message: "the stream is not available for this connector"}
)
