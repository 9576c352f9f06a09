// Command dispatch is the dispatch Lambda function: EventBridge schedules → one async invoke per due connector
// lane, one tail state machine execution per stream.
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
		log.Fatalf("dispatch: %v", err)
	}
	lambda.Start(rt.Dispatch)
}
