// Command evaluator is the evaluator Lambda function: posture rulesets after a full sync, event policies after new
// events, and the periodic sweep of expiring attestations and suppressions.
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
		log.Fatalf("evaluator: %v", err)
	}
	lambda.Start(rt.Evaluate)
}
