// Command migrate is the migrate Lambda function: applies database migrations during a deploy (CloudFormation
// custom resource or trigger).
// It only wires: internal/awsrun builds everything from the environment.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/open-sspm/open-sspm/internal/awsrun"
)

func main() {
	rt, err := awsrun.Load(context.Background(), nil)
	if err != nil {
		log.Fatalf("migrate: %v", err)
	}
	lambda.Start(rt.Migrate)
}
