package awssim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
)

func newSim(t *testing.T, opts awssim.Options) (*awssim.Server, aws.Config) {
	t.Helper()
	c, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	s := awssim.New(c, opts)
	t.Cleanup(s.Close)
	cfg := aws.Config{Region: s.Region(), BaseEndpoint: aws.String(s.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(awssim.DefaultAccessKeyID, awssim.DefaultSecretAccessKey, ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			})
		}}
	return s, cfg
}

// TestIdentityStorePaging lists every user and group membership through the SDK's paginators in short pages.
func TestIdentityStorePaging(t *testing.T) {
	s, cfg := newSim(t, awssim.Options{})
	ctx := context.Background()
	is := identitystore.NewFromConfig(cfg)
	var users []istypes.User
	pages := 0
	for p := identitystore.NewListUsersPaginator(is, &identitystore.ListUsersInput{IdentityStoreId: aws.String(s.IdentityStoreID()), MaxResults: aws.Int32(3)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		users = append(users, out.Users...)
	}
	if len(users) != len(s.Users()) || pages < 3 {
		t.Fatalf("%d users in %d pages; the instance has %d", len(users), pages, len(s.Users()))
	}
	if users[0].UserStatus == "" || len(users[0].Emails) == 0 && users[0].UserName == nil {
		t.Fatalf("user fields missing: %+v", users[0])
	}
	g := s.Groups()[0]
	var members int
	for p := identitystore.NewListGroupMembershipsPaginator(is, &identitystore.ListGroupMembershipsInput{IdentityStoreId: aws.String(s.IdentityStoreID()), GroupId: aws.String(g.ID), MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.GroupMemberships {
			if _, ok := m.MemberId.(*istypes.MemberIdMemberUserId); !ok {
				t.Fatalf("member id %T", m.MemberId)
			}
		}
		members += len(out.GroupMemberships)
	}
	if members != len(g.Members) {
		t.Fatalf("%d members listed, the group has %d", members, len(g.Members))
	}
	// A token replayed with other parameters is refused.
	out, err := is.ListUsers(ctx, &identitystore.ListUsersInput{IdentityStoreId: aws.String(s.IdentityStoreID()), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = is.ListGroups(ctx, &identitystore.ListGroupsInput{IdentityStoreId: aws.String(s.IdentityStoreID()), NextToken: out.NextToken})
	var ve *istypes.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("a users token on ListGroups: %v", err)
	}
	_, err = is.ListUsers(ctx, &identitystore.ListUsersInput{IdentityStoreId: aws.String("d-0000000000")})
	var nf *istypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("an unknown identity store: %v", err)
	}
}

// TestThrottlingIsRetriedBySDK answers each kind of throttling once: the SDK's standard retryer retries it, and the
// Identity Store's Retry-After reaches the typed error.
func TestThrottlingIsRetriedBySDK(t *testing.T) {
	for _, kind := range []awssim.FaultKind{awssim.FaultThrottling, awssim.FaultTooManyRequests} {
		s, cfg := newSim(t, awssim.Options{})
		s.AddFault(awssim.Fault{Operation: "AWSIdentityStore.ListGroups", Kind: kind, Times: 1, Wait: 3 * time.Second})
		is := identitystore.NewFromConfig(cfg)
		if _, err := is.ListGroups(context.Background(), &identitystore.ListGroupsInput{IdentityStoreId: aws.String(s.IdentityStoreID())}); err != nil {
			t.Fatalf("fault %d: %v", kind, err)
		}
		if st := s.Stats(); st.ByOperation["AWSIdentityStore.ListGroups"] != 2 || st.Throttled != 1 {
			t.Fatalf("fault %d: %+v", kind, st)
		}
	}
	s, cfg := newSim(t, awssim.Options{})
	s.AddFault(awssim.Fault{Operation: "AWSIdentityStore.ListUsers", Kind: awssim.FaultThrottling, Wait: 7 * time.Second})
	is := identitystore.NewFromConfig(cfg, func(o *identitystore.Options) { o.RetryMaxAttempts = 1 })
	_, err := is.ListUsers(context.Background(), &identitystore.ListUsersInput{IdentityStoreId: aws.String(s.IdentityStoreID())})
	var te *istypes.ThrottlingException
	if !errors.As(err, &te) || te.RetryAfterSeconds != 7 {
		t.Fatalf("throttled: %v (%+v)", err, te)
	}
}

// TestAssumeRole mints a session through STS's query protocol; the JSON services accept it, a wrong external id
// or an unknown key is refused.
func TestAssumeRole(t *testing.T) {
	s, cfg := newSim(t, awssim.Options{ExternalID: "ext-123"})
	ctx := context.Background()
	assumed := func(ext string) aws.Config {
		c := cfg.Copy()
		c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), s.RoleARN(), func(o *stscreds.AssumeRoleOptions) {
			o.ExternalID = aws.String(ext)
		}))
		return c
	}
	sso := ssoadmin.NewFromConfig(assumed("ext-123"))
	out, err := sso.ListInstances(ctx, &ssoadmin.ListInstancesInput{})
	if err != nil || len(out.Instances) != 1 || *out.Instances[0].InstanceArn != s.InstanceARN() {
		t.Fatalf("instances with the assumed role: %+v %v", out, err)
	}
	if s.Stats().ByOperation["STS.AssumeRole"] != 1 {
		t.Fatalf("stats %+v", s.Stats())
	}
	_, err = ssoadmin.NewFromConfig(assumed("wrong")).ListInstances(ctx, &ssoadmin.ListInstancesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("a wrong external id: %v", err)
	}
	bad := cfg.Copy()
	bad.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWN000000000", "x", "")
	_, err = ssoadmin.NewFromConfig(bad).ListInstances(ctx, &ssoadmin.ListInstancesInput{})
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("an unknown key: %v", err)
	}
}

// TestLookupEvents pages CloudTrail 50 events at a time, newest first, and throttles beyond 2 requests a second.
func TestLookupEvents(t *testing.T) {
	now := providersim.DefaultNow().Add(time.Hour)
	clock := func() time.Time { return now }
	s, cfg := newSim(t, awssim.Options{Clock: clock})
	ct := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.RetryMaxAttempts = 1 })
	in := &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String(awssim.SourceSSO)}},
		StartTime: aws.Time(now.Add(-90 * 24 * time.Hour)), MaxResults: aws.Int32(10)}
	var got []cttypes.Event
	for p := cloudtrail.NewLookupEventsPaginator(ct, in); p.HasMorePages(); {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) > 10 {
			t.Fatalf("%d events in a page", len(out.Events))
		}
		got = append(got, out.Events...)
		now = now.Add(time.Second)
	}
	want := 0
	for _, e := range s.Events() {
		if e.Source == awssim.SourceSSO {
			want++
		}
	}
	if len(got) != want || want <= 20 {
		t.Fatalf("%d events read, %d in the log", len(got), want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].EventTime.After(*got[i-1].EventTime) {
			t.Fatal("not newest first")
		}
	}
	var throttled error
	for range 5 {
		if _, err := ct.LookupEvents(context.Background(), in); err != nil {
			throttled = err
			break
		}
	}
	var ae smithy.APIError
	if !errors.As(throttled, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Fatalf("5 lookups in one instant: %v", throttled)
	}
}
