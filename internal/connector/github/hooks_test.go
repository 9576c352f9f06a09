package github_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

const hookSecret = "whsec-test"

// captured is one delivery the simulator sent, as the webhook endpoint receives it.
type captured struct {
	r    *http.Request
	body []byte
}

func capture(t *testing.T) (*httptest.Server, chan captured) {
	ch := make(chan captured, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		ch <- captured{r: r, body: b.Bytes()}
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestVerifyHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{})
	srv, ch := capture(t)
	member := e.sim.Members()[1]
	if _, err := e.sim.Send(context.Background(), srv.URL, hookSecret, "organization", e.sim.OrganizationPayload("member_added", member)); err != nil {
		t.Fatal(err)
	}
	got := <-ch
	tests := []struct {
		give     string
		secret   string
		edit     func(h http.Header)
		wantCode sspm.Code
	}{
		{give: "good signature", secret: hookSecret},
		{give: "wrong secret", secret: "other", wantCode: sspm.CodeUnauthorized},
		{give: "missing signature", secret: hookSecret, edit: func(h http.Header) { h.Del("X-Hub-Signature-256") }, wantCode: sspm.CodeUnauthorized},
		{give: "sha1 only", secret: hookSecret, edit: func(h http.Header) {
			h.Set("X-Hub-Signature", h.Get("X-Hub-Signature-256"))
			h.Del("X-Hub-Signature-256")
		}, wantCode: sspm.CodeUnauthorized},
		{give: "no event header", secret: hookSecret, edit: func(h http.Header) { h.Del("X-GitHub-Event") }, wantCode: sspm.CodeInvalid},
		{give: "no delivery header", secret: hookSecret, edit: func(h http.Header) { h.Del("X-GitHub-Delivery") }, wantCode: sspm.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hooks/github/gh-test", bytes.NewReader(got.body))
			r.Header = got.r.Header.Clone()
			if tt.edit != nil {
				tt.edit(r.Header)
			}
			v, err := ghc.VerifyHook(r, got.body, []byte(tt.secret))
			if (tt.wantCode == "") != (err == nil) || err != nil && sspm.ErrorCode(err) != tt.wantCode {
				t.Fatalf("err = %v, want code %q", err, tt.wantCode)
			}
			if err == nil && v.DeliveryID != got.r.Header.Get("X-GitHub-Delivery") {
				t.Errorf("delivery id %q", v.DeliveryID)
			}
		})
	}
	tampered := append(bytes.Clone(got.body[:len(got.body)-1]), ' ', '}')
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(tampered))
	r.Header = got.r.Header.Clone()
	if _, err := ghc.VerifyHook(r, tampered, []byte(hookSecret)); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Errorf("a tampered body verified: %v", err)
	}
}

// TestParseHook: every subscribed event, raw and in an envelope, maps to one event with typed targets, keyed by
// the payload's hash in both forms, so a redelivery keeps its id.
func TestParseHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{})
	opts := ghc.Options{Now: func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }}
	login, team, repo := e.sim.Members()[2], e.sim.Teams()[0], e.sim.Repos()[0]
	tests := []struct {
		give        string
		payload     map[string]any
		wantType    string
		wantTargets []string
	}{
		{"organization", e.sim.OrganizationPayload("member_removed", login), "organization.member_removed", []string{"user"}},
		{"membership", e.sim.MembershipPayload("added", team, login), "membership.added", []string{"user", "team"}},
		{"member", e.sim.MemberPayload("added", repo, login), "member.added", []string{"user", "repository"}},
		{"team", e.sim.TeamPayload("deleted", team), "team.deleted", []string{"team"}},
		{"team_add", e.sim.TeamAddPayload(team, repo), "team_add", []string{"team", "repository"}},
		{"repository", e.sim.RepositoryPayload("archived", repo), "repository.archived", []string{"repository"}},
		{"installation", map[string]any{"action": "created", "installation": map[string]any{"id": 9, "app_slug": "x"}, "repositories": []any{}, "sender": map[string]any{"id": 1, "login": "a"}}, "installation.created", []string{"installation"}},
		{"personal_access_token_request", map[string]any{"action": "created", "personal_access_token_request": map[string]any{"id": 4, "owner": map[string]any{"id": 1001, "login": "x"}, "created_at": "2026-10-30T10:00:00Z"}}, "personal_access_token_request.created", []string{"user", "pat_request"}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			body, _ := json.Marshal(tt.payload)
			var ids []string
			for _, form := range []string{"raw", "envelope"} {
				in := body
				if form == "envelope" {
					in, _ = json.Marshal(ghc.Envelope{Event: tt.give, DeliveryID: "d-1", Payload: body})
				}
				evs, err := opts.ParseHook(in)
				if err != nil || len(evs) != 1 {
					t.Fatalf("%s: %v %v", form, evs, err)
				}
				ev := evs[0]
				var types []string
				for _, tg := range ev.Targets {
					types = append(types, tg.Type)
				}
				if ev.Type != tt.wantType || !equal(types, tt.wantTargets) || ev.OccurredAt.IsZero() {
					t.Errorf("%s: type %q targets %v at %v", form, ev.Type, types, ev.OccurredAt)
				}
				ids = append(ids, ev.ProviderEventID)
				again, _ := opts.ParseHook(in)
				if again[0].ProviderEventID != ev.ProviderEventID {
					t.Error("a redelivery gets another id")
				}
			}
			if ids[0] != ids[1] || !strings.HasPrefix(ids[0], "sha256:") {
				t.Errorf("provider event ids raw %q, envelope %q: want the payload's hash in both", ids[0], ids[1])
			}
		})
	}
}

// TestReplayedPayloadIsOneEvent: a signed payload captured and sent again under a new delivery id, or a new event
// header, verifies (only the body is signed) but maps to the same provider event id, so it is stored once.
func TestReplayedPayloadIsOneEvent(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	opts := ghc.Options{Now: func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }}
	body, _ := json.Marshal(e.sim.MemberPayload("added", e.sim.Repos()[0], e.sim.Members()[2]))
	secret := []byte("webhook-secret")
	ids := map[string]bool{}
	for _, h := range []struct{ event, delivery string }{
		{"member", "d-original"}, {"member", "d-replayed"}, {"membership", "d-replayed-again"}, {"member", "d-original"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/hooks/github/gh", bytes.NewReader(body))
		r.Header.Set("X-GitHub-Event", h.event)
		r.Header.Set("X-GitHub-Delivery", h.delivery)
		r.Header.Set("X-Hub-Signature-256", sign(secret, body))
		v, err := ghc.VerifyHook(r, body, secret)
		if err != nil {
			t.Fatalf("%+v: %v", h, err)
		}
		evs, err := opts.ParseHook(v.Body)
		if err != nil {
			t.Fatalf("%+v: %v", h, err)
		}
		for _, ev := range evs {
			ids[ev.ProviderEventID] = true
		}
	}
	if len(ids) != 1 {
		t.Fatalf("one signed payload became %d provider events: %v", len(ids), ids)
	}
}

// sign is GitHub's X-Hub-Signature-256 of body.
func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzParseHook(f *testing.F) {
	f.Add([]byte(`{"action":"added","scope":"team","member":{"id":1},"team":{"id":2}}`))
	f.Add([]byte(`{"github_event":"team","github_delivery":"x","payload":{"action":"created","team":{"id":3}}}`))
	f.Add([]byte(`{"action":"deleted","repository":{"id":1,"updated_at":"2026-01-01T00:00:00Z"}}`))
	f.Add([]byte(`[]`))
	opts := ghc.Options{}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := opts.ParseHook(body)
		if err != nil {
			if sspm.ErrorCode(err) != sspm.CodeInvalid {
				t.Fatalf("error without CodeInvalid: %v", err)
			}
			return
		}
		for _, e := range evs {
			if e.ProviderEventID == "" || e.OccurredAt.IsZero() || e.Type == "" {
				t.Fatalf("incomplete event %+v", e)
			}
		}
	})
}
