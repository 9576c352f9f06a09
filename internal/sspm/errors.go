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
	CodeUnavailable  Code = "unavailable" // a dependency is down or rate limited
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

// ErrorCode returns the code of the first domain error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
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
)
