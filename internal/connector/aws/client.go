package aws

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Retry behaviour: the SDK's standard retryer decides what is retryable (throttling, 5xx, connection errors)
// and how often; the connector's backoff decides how long, waits on its own clock, and turns a wait beyond the
// invocation's budget into a pause (sspm.WaitError).
const (
	maxAttempts = 5
	baseBackoff = 500 * time.Millisecond
	maxBackoff  = 20 * time.Second
)

// client holds the SDK clients of one connector and paces their calls.
type client struct {
	opts   Options
	s      settings
	is     *identitystore.Client
	sso    *ssoadmin.Client
	ct     *cloudtrail.Client
	pace   *pacer // Identity Store and SSO Admin
	lookup *pacer // CloudTrail LookupEvents

	mu       sync.Mutex
	requests int
	waited   time.Duration
}

// newClient builds the SDK clients: credentials from the secret's static keys or the default chain, optionally
// through an assumed role; every call through the outbound policy's client pinned to the services' origins.
func newClient(ctx context.Context, s settings, keys *staticKeys, o Options) (*client, error) {
	httpClient := o.httpClient(s)
	cfg := sdkaws.Config{Region: s.Region, HTTPClient: httpClient}
	if keys != nil {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(keys.AccessKeyID, keys.SecretAccessKey, keys.SessionToken)
	} else {
		def, err := config.LoadDefaultConfig(ctx, config.WithRegion(s.Region))
		if err != nil {
			return nil, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: the default credential chain: %v", err)
		}
		cfg.Credentials = def.Credentials
	}
	if s.endpoint != nil {
		cfg.BaseEndpoint = sdkaws.String(s.endpoint.String())
	}
	c := &client{opts: o, s: s,
		pace:   newPacer(s.RequestsPerSecond),
		lookup: newPacer(s.LookupRequestsPerSecond)}
	if s.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg, func(so *sts.Options) { so.Retryer = c.retryer(context.Background(), "sts") })
		provider := stscreds.NewAssumeRoleProvider(stsClient, s.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = "open-sspm"
			if s.ExternalID != "" {
				ao.ExternalID = sdkaws.String(s.ExternalID)
			}
		})
		cfg.Credentials = sdkaws.NewCredentialsCache(provider)
	}
	c.is = identitystore.NewFromConfig(cfg)
	c.sso = ssoadmin.NewFromConfig(cfg)
	c.ct = cloudtrail.NewFromConfig(cfg)
	return c, nil
}

// httpClient is the outbound policy's client for the services' origins (or the simulator's endpoint), or the
// test's transport pinned to them; either hands request bodies to the transport without WriteTo (readOnlyBodies).
func (o Options) httpClient(s settings) *http.Client {
	var origins []*url.URL
	if s.endpoint != nil {
		origins = []*url.URL{s.endpoint}
	} else {
		for _, svc := range []string{"identitystore", "sso", "cloudtrail", "sts"} {
			origins = append(origins, &url.URL{Scheme: "https", Host: svc + "." + s.Region + ".amazonaws.com"})
		}
	}
	if o.HTTPClient != nil {
		base := o.HTTPClient.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		return &http.Client{Transport: readOnlyBodies{outbound.Pin(base, origins...)}, CheckRedirect: outbound.CheckRedirect}
	}
	return &http.Client{Transport: readOnlyBodies{o.policy().Transport(origins...)}, CheckRedirect: outbound.CheckRedirect}
}

// retryer is the SDK's standard retryer with the connector's backoff bound to ctx (its clock, sleep and wait
// budget). The retry quota is off: waits are paced, not refused.
func (c *client) retryer(ctx context.Context, service string) sdkaws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.RateLimiter = ratelimit.None
		so.Backoff = backoff{c: c, ctx: ctx, service: service}
	})
}

// Per-call options: the retryer bound to the call's context.
func (c *client) isOpt(ctx context.Context) func(*identitystore.Options) {
	return func(o *identitystore.Options) { o.Retryer = c.retryer(ctx, "identitystore") }
}

func (c *client) ssoOpt(ctx context.Context) func(*ssoadmin.Options) {
	return func(o *ssoadmin.Options) { o.Retryer = c.retryer(ctx, "sso") }
}

func (c *client) ctOpt(ctx context.Context) func(*cloudtrail.Options) {
	return func(o *cloudtrail.Options) { o.Retryer = c.retryer(ctx, "cloudtrail") }
}

// backoff waits before a retry: as long as the answer's Retry-After (or Identity Store's RetryAfterSeconds)
// asks, else exponentially from baseBackoff to maxBackoff. It sleeps itself and tells the SDK to wait no more.
type backoff struct {
	c       *client
	ctx     context.Context
	service string
}

func (b backoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	wait := retryAfter(err)
	if wait <= 0 {
		wait = min(maxBackoff, baseBackoff<<min(attempt-1, 10))
	}
	if remaining, ok := sspm.WaitBudget(b.ctx); ok && wait > remaining {
		return 0, &sspm.WaitError{Bucket: b.service, Until: b.c.opts.now().Add(wait), Throttled: retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool()}
	}
	if err := b.c.opts.sleep(b.ctx, wait); err != nil {
		return 0, err
	}
	b.c.mu.Lock()
	b.c.waited += wait
	b.c.mu.Unlock()
	return 0, nil
}

// retryAfter reads how long a throttled answer asks to wait: Identity Store's RetryAfterSeconds, or the
// Retry-After header in seconds.
func retryAfter(err error) time.Duration {
	var te *istypes.ThrottlingException
	if errors.As(err, &te) && te.RetryAfterSeconds > 0 {
		return time.Duration(te.RetryAfterSeconds) * time.Second
	}
	var ie *istypes.InternalServerException
	if errors.As(err, &ie) && ie.RetryAfterSeconds > 0 {
		return time.Duration(ie.RetryAfterSeconds) * time.Second
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil {
		if n, perr := strconv.Atoi(re.Response.Header.Get("Retry-After")); perr == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

// do paces one call, counts it, and classifies its error.
func do[T any](ctx context.Context, c *client, p *pacer, op string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := p.wait(ctx, c.opts); err != nil {
		return zero, err
	}
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
	out, err := fn(ctx)
	if err != nil {
		return zero, c.classify(op, err)
	}
	return out, nil
}

// takeStats returns and resets the requests made and the time waited for retries.
func (c *client) takeStats() (int, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, w := c.requests, c.waited
	c.requests, c.waited = 0, 0
	return n, w
}

// classify maps an SDK error to a domain error that says what to fix. op is the IAM action ("sso:ListUsers").
func (c *client) classify(op string, err error) error {
	if w, ok := sspm.AsWait(err); ok {
		return w
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if fromSTS(err) {
		return &sspm.Error{Code: sspm.CodeUnauthorized, Err: err, Message: "aws_identity_center: cannot assume role " + c.s.RoleARN +
			": check role_arn, external_id, the role's trust policy and that the deployment may call sts:AssumeRole on it"}
	}
	if outbound.IsRefusal(err) {
		return &sspm.Error{Code: sspm.CodeInvalid, Err: err, Message: "aws_identity_center " + op + ": the outbound policy refused the address"}
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return &sspm.Error{Code: sspm.CodeUnavailable, Err: err, Message: "aws_identity_center " + op + ": AWS did not answer"}
	}
	code := ae.ErrorCode()
	switch {
	case code == "AccessDeniedException" || code == "AccessDenied":
		return &sspm.Error{Code: sspm.CodeForbidden, Err: err, Message: "aws_identity_center: the credential may not call " + op + ": add it to the role's policy"}
	case code == "UnrecognizedClientException" || code == "InvalidClientTokenId" || code == "InvalidSignatureException" ||
		code == "SignatureDoesNotMatch" || code == "ExpiredTokenException" || code == "ExpiredToken" || code == "MissingAuthenticationTokenException":
		return &sspm.Error{Code: sspm.CodeUnauthorized, Err: err, Message: "aws_identity_center " + op + ": AWS refused the credentials (" + code + "): check the secret or the deployment's role"}
	case code == "ResourceNotFoundException":
		return &sspm.Error{Code: sspm.CodeInvalid, Err: err, Message: "aws_identity_center " + op + ": not found in region " + c.s.Region +
			": check instance_arn, identity_store_id and that region is the Identity Center home region"}
	case code == "ValidationException" || strings.HasPrefix(code, "Invalid"):
		return &sspm.Error{Code: sspm.CodeInvalid, Err: err, Message: "aws_identity_center " + op + ": AWS refused the request (" + code + ")"}
	}
	return &sspm.Error{Code: sspm.CodeUnavailable, Err: err, Message: "aws_identity_center " + op + ": AWS answered " + code}
}

// isForbidden reports a missing permission (a 403 of one API): the caller marks what it feeds unavailable.
func isForbidden(err error) bool { return sspm.ErrorCode(err) == sspm.CodeForbidden }

// isNotFound reports a ResourceNotFoundException.
func isNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException"
}

// pacer spaces calls at a rate on the connector's clock.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newPacer(perSecond float64) *pacer {
	return &pacer{interval: time.Duration(float64(time.Second) / perSecond)}
}

func (p *pacer) wait(ctx context.Context, o Options) error {
	p.mu.Lock()
	now := o.now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return o.sleep(ctx, d)
	}
	return ctx.Err()
}

// fromSTS reports an error of the credential provider's AssumeRole call, wrapped in the operation that needed it.
func fromSTS(err error) bool {
	for e := err; e != nil; {
		if oe, ok := e.(*smithy.OperationError); ok && oe.ServiceID == "STS" {
			return true
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				if fromSTS(x) {
					return true
				}
			}
			return false
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		default:
			return false
		}
	}
	return false
}
