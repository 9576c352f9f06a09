// Package awssim simulates AWS IAM Identity Center for the synthetic company (internal/providersim): the
// Identity Store and SSO Admin APIs, CloudTrail LookupEvents and STS AssumeRole, each as the AWS SDK for Go v2
// speaks it when its BaseEndpoint points here.
//
//   - Identity Store (X-Amz-Target AWSIdentityStore.<Op>) and SSO Admin (SWBExternalService.<Op>) and CloudTrail
//     (CloudTrail_20131101.<Op>) speak the AWS JSON 1.1 protocol: POST /, the operation in X-Amz-Target, errors
//     as {"__type": ..., "message": ...} with X-Amzn-ErrorType.
//   - STS speaks the query protocol: a form POST with Action=AssumeRole, answered in XML.
//   - Every request must carry a SigV4 Authorization header whose credential is the simulator's access key or a
//     session key STS minted; the region is recorded from the credential scope.
//   - Listings page with NextToken/MaxResults: a token is bound to the operation and its parameters, as AWS
//     binds it; a token replayed with other parameters is a ValidationException (InvalidNextTokenException for
//     CloudTrail).
//   - Throttling is answered as AWS does: ThrottlingException (HTTP 400, with Retry-After where Identity Store
//     documents RetryAfterSeconds) or TooManyRequestsException (HTTP 429); CloudTrail LookupEvents is held to 2
//     requests per second on the simulator's clock.
//
// The company's people with an AWS account are Identity Center users, its groups are groups, and a fixed
// catalogue of permission sets is provisioned across a set of AWS accounts and assigned to groups and a few
// users. CloudTrail holds the history of those assignments and the users' sign-ins.
package awssim
