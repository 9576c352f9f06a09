// Package awslambda adapts AWS Lambda asynchronous invokes to sspm.Invoker: the dispatch function and a sync run
// that pauses at its time budget start lane work this way. Package lambdafake serves a fake of the Invoke API for
// tests.
package awslambda

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

var _ sspm.Invoker = (*Invoker)(nil)

// Invoker invokes one Lambda function per lane, asynchronously (InvocationType Event), with the sspm.Invocation
// as the JSON payload. It is safe for concurrent use.
//
// Invoke returns once Lambda has queued the event (HTTP 202), not when the function ran: Lambda retries a
// function error twice and then drops the event (or sends it to the function's failure destination), which the
// lanes tolerate because every run is resumable and the schedule dispatches due work again.
type Invoker struct {
	client    *lambda.Client
	functions map[sspm.Lane]string
}

// NewInvoker returns an invoker of the given function (a name or an ARN) per lane. The map is copied. A lane
// without a function is refused with a sspm.CodeInvalid error.
func NewInvoker(client *lambda.Client, functions map[sspm.Lane]string) *Invoker {
	return &Invoker{client: client, functions: maps.Clone(functions)}
}

// Invoke queues inv for the lane's function.
func (i *Invoker) Invoke(ctx context.Context, inv sspm.Invocation) error {
	fn := i.functions[inv.Lane]
	if fn == "" {
		return sspm.Errorf(sspm.CodeInvalid, "lambda invoker: no function for lane %s", inv.Lane)
	}
	payload, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("lambda invoke %s: encode invocation: %w", fn, err)
	}
	out, err := i.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("lambda invoke %s for %s %s: %w", fn, inv.Lane, inv.ConnectorID, err)
	}
	if out.StatusCode != http.StatusAccepted {
		return fmt.Errorf("lambda invoke %s for %s %s: status %d, want 202", fn, inv.Lane, inv.ConnectorID, out.StatusCode)
	}
	return nil
}
