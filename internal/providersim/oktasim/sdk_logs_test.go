package oktasim

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestSDKTailsSystemLog follows the tail lane's cursor procedure with the
// SDK: poll from `since` until a short page, keep the `after` token, make
// changes, and read exactly the new events from the token.
func TestSDKTailsSystemLog(t *testing.T) {
	c := company(t, providersim.Small())
	clock := clocktest.New(c.Now.Add(time.Hour))
	s := New(c, Options{Clock: clock.Now})
	defer s.Close()
	client := sdkClient(t, s)
	ctx := context.Background()
	since := clock.Now().Add(-31 * 24 * time.Hour)

	const limit = 25
	events, resp, err := client.SystemLogAPI.ListLogEvents(ctx).Since(since).Limit(limit).Execute()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	types := map[string]int{}
	for {
		for _, e := range events {
			if seen[e.GetUuid()] {
				t.Fatalf("event %s twice", e.GetUuid())
			}
			seen[e.GetUuid()] = true
			types[e.GetEventType()]++
		}
		if !resp.HasNextPage() {
			t.Fatal("a polling request must always return a next link")
		}
		if len(events) < limit {
			break
		}
		if resp, err = resp.Next(&events); err != nil {
			t.Fatal(err)
		}
	}
	if types["user.authentication.sso"] == 0 || types["app.oauth2.as.consent.grant"] == 0 {
		t.Fatalf("event types %v, want SSO and consent evidence", types)
	}
	after := afterParam(t, resp.NextPage())

	clock.Advance(time.Minute)
	id, _ := s.UserID(c.People[1].ID)
	if err := s.SuspendUser(id); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSignIn(id); err != nil {
		t.Fatal(err)
	}
	fresh, _, err := client.SystemLogAPI.ListLogEvents(ctx).After(after).Limit(limit).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 2 || fresh[0].GetEventType() != "user.lifecycle.suspend" || fresh[1].GetEventType() != "user.session.start" {
		t.Fatalf("after the cursor got %d events %v, want the suspend and the sign-in", len(fresh), eventTypes(fresh))
	}
	if fresh[0].Target[0].GetId() != id || fresh[0].Actor == nil || fresh[0].Published == nil {
		t.Errorf("suspend event lacks its target, actor or published time: %+v", fresh[0])
	}
}

func eventTypes(es []okta.LogEvent) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.GetEventType()
	}
	return out
}

// clockOn429 advances the simulator's clock past the rate-limit window
// whenever a 429 passes through, so the SDK's retry lands in a new window
// without the test sleeping a minute.
type clockOn429 struct {
	next  http.RoundTripper
	mu    sync.Mutex
	clock *clocktest.Clock
	seen  int
}

func (c *clockOn429) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.mu.Lock()
		c.seen++
		c.mu.Unlock()
		c.clock.Advance(61 * time.Second)
	}
	return resp, err
}

// TestSDKRetriesAfter429 spends a users bucket of 3 requests per minute
// while listing 5 pages: the SDK gets a 429 with Date and X-Rate-Limit-Reset,
// waits (capped at 1 s) and retries, and the listing completes.
func TestSDKRetriesAfter429(t *testing.T) {
	c := company(t, providersim.Medium())
	clock := clocktest.New(c.Now)
	s := New(c, Options{Clock: clock.Now, RateLimits: map[string]int{BucketUsers: 3}})
	defer s.Close()
	rt := &clockOn429{next: http.DefaultTransport, clock: clock}
	client := sdkClient(t, s, okta.WithHttpClientPtr(&http.Client{Transport: rt}), okta.WithRateLimitMaxBackOff(1))
	users, pages := pageAll(t, client.UserAPI.ListUsers(context.Background()).Limit(200).Execute)
	if pages != 5 || len(users) < 800 {
		t.Fatalf("got %d users in %d pages", len(users), pages)
	}
	st := s.Stats()
	if rt.seen != 1 || st.RateLimited != 1 || st.ByRoute["GET /api/v1/users"] != 6 {
		t.Errorf("saw %d 429s, stats %d rate limited of %d requests; want 1 of 6", rt.seen, st.RateLimited, st.ByRoute["GET /api/v1/users"])
	}
}

// TestSDKRateLimitWithoutRetriesFails shows the SDK's default: no retry,
// and a plain "too many requests" error with no response (the SDK drops the
// 429 response and its body).
func TestSDKRateLimitWithoutRetriesFails(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{RateLimits: map[string]int{BucketApps: 1}})
	defer s.Close()
	client := sdkClient(t, s, okta.WithRateLimitMaxRetries(0))
	ctx := context.Background()
	if _, _, err := client.ApplicationAPI.ListApplications(ctx).Execute(); err != nil {
		t.Fatal(err)
	}
	_, _, err := client.ApplicationAPI.ListApplications(ctx).Execute()
	if err == nil || !strings.Contains(err.Error(), "too many requests") {
		t.Fatalf("second call: err %v; want the SDK's too many requests error", err)
	}
	if st := s.Stats(); st.RateLimited != 1 {
		t.Errorf("rate limited %d requests, want 1", st.RateLimited)
	}
}
