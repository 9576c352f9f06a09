// Package awssfn adapts AWS Step Functions to sspm.Invoker for the tail lane: an invocation of a (connector,
// stream) starts one execution of the tail state machine (TailStep → Choice → Wait, bounded iterations). Package
// sfnfake serves a fake of the StartExecution API for tests.
package awssfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

var _ sspm.Invoker = (*Starter)(nil)

// DefaultWindow is the default length of an execution-name window.
const DefaultWindow = time.Hour

// TailInput is the tail state machine's execution input, and the input of its first TailStep task.
type TailInput struct {
	ConnectorID string `json:"connector_id"`
	Stream      string `json:"stream"`
	Iteration   int    `json:"iteration"`
}

// Options adjust a Starter.
type Options struct {
	// Window is the length of the time windows that execution names are bucketed by (default DefaultWindow).
	// A stream gets at most one execution per window; the state machine's own run (iterations × wait) should
	// fit in one window, so that consecutive executions of a stream hardly overlap.
	Window time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Starter starts tail state machine executions. It is safe for concurrent use.
type Starter struct {
	client  *sfn.Client
	machine string
	window  time.Duration
	now     func() time.Time
}

// New returns a Starter of the state machine stateMachineARN.
func New(client *sfn.Client, stateMachineARN string, o Options) *Starter {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Starter{client: client, machine: stateMachineARN, window: o.Window, now: o.Now}
}

// Invoke starts the tail execution of inv's connector and stream for the current window, with input TailInput
// (iteration 0). An execution of the same name that already exists (running with the same input, or already
// finished in this window) means the stream is covered: that is not an error. Only the tail lane is accepted.
func (s *Starter) Invoke(ctx context.Context, inv sspm.Invocation) error {
	if inv.Lane != sspm.LaneTail || inv.ConnectorID == "" || inv.Stream == "" {
		return sspm.Errorf(sspm.CodeInvalid, "step functions starter: want a tail invocation with a connector and a stream, got lane %q", inv.Lane)
	}
	input, err := json.Marshal(TailInput{ConnectorID: inv.ConnectorID, Stream: inv.Stream})
	if err != nil {
		return fmt.Errorf("step functions start %s/%s: encode input: %w", inv.ConnectorID, inv.Stream, err)
	}
	name := ExecutionName(inv.ConnectorID, inv.Stream, s.now().UTC().Truncate(s.window))
	_, err = s.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.machine),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("step functions start %s: %w", name, err)
	}
	return nil
}

const maxNameLen = 80

// ExecutionName names the execution of a connector's stream in the window starting at windowStart:
// "<connector>_<stream>_<yyyymmddThhmm>". Connector ids hold no underscore, so the first one separates the
// connector from the stream. Characters Step Functions does not allow in names become "_", and when that
// changed the stream or the name would pass 80 characters, an 8-hex-digit hash of the connector and stream keeps
// names of different streams apart.
func ExecutionName(connectorID, stream string, windowStart time.Time) string {
	suffix := "_" + windowStart.UTC().Format("20060102T1504")
	prefix := sanitize(connectorID) + "_" + sanitize(stream)
	if prefix == connectorID+"_"+stream && len(prefix)+len(suffix) <= maxNameLen {
		return prefix + suffix
	}
	sum := sha256.Sum256([]byte(connectorID + "\x00" + stream))
	hash := "_" + hex.EncodeToString(sum[:4])
	if room := maxNameLen - len(suffix) - len(hash); len(prefix) > room {
		prefix = prefix[:room]
	}
	return prefix + hash + suffix
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
