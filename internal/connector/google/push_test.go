package google_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestPushChannelsDeliverWhatTheTailReads: RegisterPush makes a channel per application; the domain's
// notifications (sync first, then each new activity) verify with the webhook secret, and a pushed activity has the
// provider event id the tail gives it, so the store keeps it once. A wrong token is refused.
func TestPushChannelsDeliverWhatTheTailReads(t *testing.T) {
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	const hookSecret = "push-secret-123"
	var mu sync.Mutex
	var states []string
	var pushed []sspm.Event
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, err := google.VerifyPush(r, body, []byte(hookSecret))
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		states = append(states, r.Header.Get("X-Goog-Resource-State"))
		if v.Challenge != nil {
			return
		}
		evs, err := google.ParsePush(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pushed = append(pushed, evs...)
	}))
	defer hook.Close()

	raw, _ := json.Marshal(map[string]any{"admin_email": e.sim.AdminEmail(), "token_url": e.sim.TokenURL(), "api_url": e.sim.URL() + "/"})
	c := sspm.Connector{ID: "g", Kind: sspm.KindGoogle, Config: raw}
	o := google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: e.clk.Now, Sleep: e.clk.Sleep}
	ids, err := o.RegisterPush(context.Background(), c, e.sim.KeyJSON(), hook.URL+"/hooks/google_workspace/g", hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(ids, ",")); n != len(google.Streams) || len(e.sim.Channels()) != n {
		t.Fatalf("channels %q, %d live", ids, len(e.sim.Channels()))
	}
	user := e.sim.Users()[2]
	if err := e.sim.RecordLogin(user.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.DeliverPush(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(pushed) != 1 || pushed[0].ActorExternalID != user.ID || pushed[0].Source != "push" {
		t.Fatalf("pushed %+v (states %v)", pushed, states)
	}
	if states[0] != "sync" {
		t.Fatalf("first message %q, want sync", states[0])
	}
	var tailed []sspm.Event
	cursor := ""
	for {
		p, err := e.src.ReadStream(context.Background(), "login", cursor)
		if err != nil {
			t.Fatal(err)
		}
		tailed = append(tailed, p.Events...)
		if cursor = p.Cursor; !p.More {
			break
		}
	}
	found := false
	for _, ev := range tailed {
		found = found || ev.ProviderEventID == pushed[0].ProviderEventID
	}
	if !found {
		t.Fatalf("the tail has no event %s", pushed[0].ProviderEventID)
	}

	// A channel token other than the secret is refused.
	req := httptest.NewRequest(http.MethodPost, "/hooks/google_workspace/g", nil)
	req.Header.Set("X-Goog-Channel-ID", strings.Split(ids, ",")[0])
	req.Header.Set("X-Goog-Channel-Token", "guess")
	if _, err := google.VerifyPush(req, []byte(`{}`), []byte(hookSecret)); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("a wrong token: %v", err)
	}
	req.Header.Set("X-Goog-Channel-Token", hookSecret)
	req.Header.Set("X-Goog-Channel-ID", "oss-login-1-000000000000000000000000")
	if _, err := google.VerifyPush(req, []byte(`{}`), []byte(hookSecret)); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("an unknown channel id: %v", err)
	}
}

// TestRefreshReadsTheGrantorsTokens: a pushed authorize event makes the source read that user's tokens again, so
// a new grant is stored before the next full run.
func TestRefreshReadsTheGrantorsTokens(t *testing.T) {
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	user := e.sim.Users()[1]
	client, err := e.sim.Authorize(user.ID, "Fresh App", []string{"https://www.googleapis.com/auth/drive"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.src.RefreshEvents(context.Background(), []sspm.Event{
		{Type: "authorize", ActorExternalID: user.ID}, {Type: "login_success", ActorExternalID: e.sim.Users()[2].ID}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range page.Credentials {
		found = found || (c.OwnerExternalID == user.ID && c.ExternalID == user.ID+"/"+client)
	}
	if !found || e.sim.Stats().ByRoute[googlesim.RouteTokens] != 1 {
		t.Fatalf("credentials %+v after %d token reads", page.Credentials, e.sim.Stats().ByRoute[googlesim.RouteTokens])
	}
}

// TestRefreshRemovesRevokedGrants: a token revoke event (here as the tail reads it) makes the source read that
// user's tokens again and return the revoked client's grant and credential as revoked, for the store to expire at
// once; a client the user authorized again after revoking it is kept.
func TestRefreshRemovesRevokedGrants(t *testing.T) {
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	gone, again := e.sim.Users()[1], e.sim.Users()[2]
	scopes := []string{"https://www.googleapis.com/auth/drive"}
	clientGone, err := e.sim.Authorize(gone.ID, "Gone App", scopes)
	if err != nil {
		t.Fatal(err)
	}
	clientAgain, err := e.sim.Authorize(again.ID, "Again App", scopes)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RevokeToken(gone.ID, clientGone); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RevokeToken(again.ID, clientAgain); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Authorize(again.ID, "Again App", scopes); err != nil {
		t.Fatal(err)
	}
	var revokes []sspm.Event
	cursor := ""
	for {
		p, err := e.src.ReadStream(context.Background(), "token", cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			if ev.Type == "revoke" {
				revokes = append(revokes, ev)
			}
		}
		if cursor = p.Cursor; !p.More {
			break
		}
	}
	if len(revokes) != 2 {
		t.Fatalf("tailed %d revoke events", len(revokes))
	}
	page, err := e.src.RefreshEvents(context.Background(), revokes)
	if err != nil {
		t.Fatal(err)
	}
	wantCred := gone.ID + "/" + clientGone
	if len(page.RevokedCredentials) != 1 || page.RevokedCredentials[0].ExternalID != wantCred ||
		len(page.RevokedGrants) != 1 || page.RevokedGrants[0].PrincipalExternalID != gone.ID ||
		page.RevokedGrants[0].ResourceExternalID != "oauth_client:"+clientGone || page.RevokedGrants[0].Permission != google.PermOAuthGrant {
		t.Fatalf("revoked %+v / %+v", page.RevokedCredentials, page.RevokedGrants)
	}
	for _, c := range page.Credentials {
		if c.ExternalID == wantCred {
			t.Fatalf("the revoked token is still returned: %+v", c)
		}
	}
	found := false
	for _, c := range page.Credentials {
		found = found || c.ExternalID == again.ID+"/"+clientAgain
	}
	if !found {
		t.Fatalf("the token authorized again is missing: %+v", page.Credentials)
	}
}
