// Command api is the api Lambda function: API Gateway /api/* → the admin API's http.Handler.
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
		log.Fatalf("api: %v", err)
	}
	lambda.Start(rt.API)
}
