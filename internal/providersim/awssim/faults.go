package awssim

import "time"

// FaultKind is how a fault answers.
type FaultKind int

const (
	// FaultServer answers 500 InternalServerException.
	FaultServer FaultKind = iota + 1
	// FaultAccessDenied answers 400 AccessDeniedException: the caller's policy lacks the operation.
	FaultAccessDenied
	// FaultThrottling answers 400 ThrottlingException with Retry-After (seconds of Wait).
	FaultThrottling
	// FaultTooManyRequests answers 429 TooManyRequestsException with Retry-After.
	FaultTooManyRequests
	// FaultEmptyLastPage answers normally, except that a listing's last page carries a NextToken to one more
	// page, which is empty and carries none.
	FaultEmptyLastPage
)

// Fault injects an answer into the requests it matches.
type Fault struct {
	// Operation is the X-Amz-Target ("AWSIdentityStore.ListUsers"); empty matches every operation.
	Operation string
	Kind      FaultKind
	// Page, when > 0, matches only that page of a listing (1 is the first).
	Page int
	// Times is how many times it fires; 0 means until cleared.
	Times int
	// Wait is the Retry-After of a throttling answer; default 1s.
	Wait time.Duration
}

// AddFault installs a fault.
func (s *Server) AddFault(f Fault) { s.faults.Add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

func (s *Server) fault(op string, page int, kinds ...FaultKind) (Fault, bool) {
	return s.faults.First(func(f Fault) int { return f.Times }, func(f Fault) bool {
		if f.Operation != "" && f.Operation != op || f.Page > 0 && f.Page != page {
			return false
		}
		for _, k := range kinds {
			if f.Kind == k {
				return true
			}
		}
		return false
	})
}
