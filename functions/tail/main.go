// Command tail is the tail Lambda function: the tail state machine's task, one read of a connector's event stream.
// It only wires: internal/awsrun builds everything from the environment.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/kinds"
)

func main() {
	rt, err := awsrun.Load(context.Background(), kinds.NewRegistry(kinds.Options{}))
	if err != nil {
		log.Fatalf("tail: %v", err)
	}
	lambda.Start(rt.TailStep)
}
