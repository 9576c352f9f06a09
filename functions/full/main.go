// Command full is the full Lambda function: one full sync invocation of a connector, resumed in a new invocation
// when its time runs out.
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
		log.Fatalf("full: %v", err)
	}
	lambda.Start(rt.Sync)
}
