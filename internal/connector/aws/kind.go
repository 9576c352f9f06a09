// Package aws is the AWS IAM Identity Center connector: aws-sdk-go-v2's identitystore, ssoadmin, cloudtrail and
// sts clients against the Identity Center home region (or the provider simulator in tests and demo mode), turned
// into Open-SSPM's inventory and events.
//
//   - Full lane, in stages: permission_sets (each set with its managed, customer managed and inline policies and
//     permissions boundary, graded admin-grade or not), assignments (the AWS accounts each set is provisioned to
//     and the users assigned there directly), groups (with members, and each group's assignments expanded to its
//     members: how a grant is held, directly or through which group, is kept), users (flagged admin when an
//     admin-grade set reaches them either way).
//   - Tail: CloudTrail LookupEvents, one stream per event source (sso, identitystore, signin, sso-directory),
//     with a time cursor, an overlap for late deliveries, de-duplication and LookupEvents' pace.
//
// Each step reads a page (or one permission set's page of accounts) and returns a cursor holding what is needed to
// continue, so a new Source resumes after a crash or at the invocation's time budget. Throttling is retried by
// the SDK's standard retryer, waiting on the connector's clock as long as AWS asks (client.go).
package aws

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Options are what the composition root decides for every AWS Identity Center connector.
type Options struct {
	// AllowLoopback lets a connector's endpoint override point at a loopback address (the simulator): demo
	// mode and tests only.
	AllowLoopback bool
	// Outbound is the policy of calls to AWS; nil means outbound.Strict().
	Outbound *outbound.Policy
	// HTTPClient, when set, supplies the base transport instead of Outbound's (tests); requests still go only to
	// the configured origins.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits (pacing, retries); nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// PageSize, when > 0, asks for pages of that many items instead of the APIs' maximum (tests).
	PageSize int32
}

func (o Options) policy() *outbound.Policy {
	if o.Outbound == nil {
		return outbound.Strict()
	}
	return o.Outbound
}

func (o Options) now() time.Time { return sspm.Now(o.Now) }

func (o Options) sleep(ctx context.Context, d time.Duration) error {
	return sspm.Sleep(ctx, d, o.Sleep)
}

// NewKind describes the AWS IAM Identity Center connector kind for the registry. It is not authoritative by
// default: its users are usually provisioned from an identity provider; an operator may mark it so.
func NewKind(opts Options) connector.Kind {
	unbound := opts
	bind := func(d connector.Deps) connector.Kind {
		o := unbound
		if o.Outbound == nil {
			o.Outbound = d.Outbound
		}
		return NewKind(o)
	}
	if opts.Outbound == nil {
		opts.Outbound = outbound.Strict()
	}
	return connector.Kind{
		Kind:          sspm.KindAWSIDC,
		Authoritative: false,
		ConfigSchema:  json.RawMessage(ConfigSchema),
		Scopes:        Scopes,
		Endpoint:      connector.Endpoint{Field: "endpoint"},
		Validate:      opts.Validate,
		NewSource: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			return opts.NewSource(ctx, c, secret)
		},
		NewStreams: func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.StreamSource, error) {
			return opts.NewSource(ctx, c, secret)
		},
		Bind: bind,
	}
}

// Validate checks a connector's config and, when given, its secret. Errors are sspm.CodeInvalid and name the
// field; they never contain the secret.
func (o Options) Validate(config json.RawMessage, secret []byte) error {
	if _, err := parseConfig(config, o.AllowLoopback); err != nil {
		return err
	}
	if secret != nil {
		_, err := parseSecret(secret)
		return err
	}
	return nil
}

// Stages of the full lane, and the tail's streams.
const (
	StagePermissionSets = "permission_sets"
	StageAssignments    = "assignments"
	StageGroups         = "groups"
	StageUsers          = "users"

	StreamSSO           = "sso"
	StreamIdentityStore = "identitystore"
	StreamSignin        = "signin"
	StreamSSODirectory  = "sso-directory"
)

// Source reads one Identity Center instance. It is not safe for concurrent use.
type Source struct {
	c    *client
	opts Options
	// instanceARN and storeID are the instance read (configured, or found by ListInstances).
	instanceARN, storeID string
	mem                  memory
}

// NewSource builds the source of a connector from its config and optional secret.
func (o Options) NewSource(ctx context.Context, c sspm.Connector, secret []byte) (*Source, error) {
	s, err := parseConfig(c.Config, o.AllowLoopback)
	if err != nil {
		return nil, err
	}
	keys, err := parseSecret(secret)
	if err != nil {
		return nil, err
	}
	cl, err := newClient(ctx, s, keys, o)
	if err != nil {
		return nil, err
	}
	return &Source{c: cl, opts: o, instanceARN: s.InstanceARN, storeID: s.IdentityStoreID, mem: newMemory()}, nil
}

// Stages lists the stages of a lane.
func (s *Source) Stages(lane sspm.Lane) []string {
	if lane == sspm.LaneFull {
		return []string{StagePermissionSets, StageAssignments, StageGroups, StageUsers}
	}
	return nil
}

// Step reads the next page of a stage.
func (s *Source) Step(ctx context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	if lane != sspm.LaneFull {
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: no lane %s", lane)
	}
	if err := s.instance(ctx); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	var err error
	switch stage {
	case StagePermissionSets:
		res, err = s.permissionSetsStep(ctx, cursor)
	case StageAssignments:
		res, err = s.assignmentsStep(ctx, cursor)
	case StageGroups:
		res, err = s.groupsStep(ctx, cursor)
	case StageUsers:
		res, err = s.usersStep(ctx, cursor)
	default:
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: no stage %q in lane %s", stage, lane)
	}
	if err != nil {
		return sspm.StepResult{}, err
	}
	if _, waited := s.c.takeStats(); waited > 0 {
		res.Message = joinMessages("waited "+waited.String()+" for AWS throttling", res.Message)
	}
	return res, nil
}

// unavailable adds entities to a step's Unavailable list once.
func unavailable(res *sspm.StepResult, es ...sspm.Entity) {
	for _, e := range es {
		found := false
		for _, x := range res.Unavailable {
			found = found || x == e
		}
		if !found {
			res.Unavailable = append(res.Unavailable, e)
		}
	}
}

func joinMessages(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func (s *Source) pageSize(max int32) *int32 {
	n := max
	if s.opts.PageSize > 0 && s.opts.PageSize < max {
		n = s.opts.PageSize
	}
	return &n
}
