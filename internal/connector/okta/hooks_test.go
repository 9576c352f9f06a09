package okta_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

const hookSecret = "s3cret-hook-value"

const logEvent = `{"uuid":"%s","published":"2026-11-26T10:00:0%dZ","eventType":"group.user_membership.add",
"actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.example","displayName":"Ada Admin"},
"outcome":{"result":"SUCCESS"},"target":[{"id":"00u1","type":"User","alternateId":"bo@acme.example","displayName":"Bo"},
{"id":"00g1","type":"UserGroup","alternateId":"unknown","displayName":"Engineering"}]}`

func envelope(events ...string) string {
	return `{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","eventId":"dlv-1",
"source":"https://acme.okta.com/api/v1/eventHooks/who1","eventTime":"2026-11-26T10:00:05Z","contentType":"application/json",
"data":{"events":[` + strings.Join(events, ",") + `]}}`
}

func event(uuid string, second int) string {
	return strings.Replace(strings.Replace(logEvent, "%s", uuid, 1), "%d", string(rune('0'+second)), 1)
}

func TestVerifyHook(t *testing.T) {
	tests := []struct {
		name          string
		method        string
		auth          string
		challenge     string
		body          string
		wantCode      sspm.Code // "" = accepted
		wantChallenge string
		wantDelivery  string
	}{
		{name: "verification challenge", method: http.MethodGet, auth: hookSecret, challenge: "abc-123", wantChallenge: `{"verification":"abc-123"}`},
		{name: "challenge with a bad secret", method: http.MethodGet, auth: "nope", challenge: "abc", wantCode: sspm.CodeUnauthorized},
		{name: "GET without a challenge", method: http.MethodGet, auth: hookSecret, wantCode: sspm.CodeInvalid},
		{name: "delivery", method: http.MethodPost, auth: hookSecret, body: envelope(event("e1", 1), event("e2", 2)), wantDelivery: "dlv-1"},
		{name: "delivery without events", method: http.MethodPost, auth: hookSecret, body: envelope(), wantDelivery: "dlv-1"},
		{name: "bad secret", method: http.MethodPost, auth: "wrong", body: envelope(event("e1", 1)), wantCode: sspm.CodeUnauthorized},
		{name: "secret as a prefix", method: http.MethodPost, auth: hookSecret + "x", body: envelope(event("e1", 1)), wantCode: sspm.CodeUnauthorized},
		{name: "no secret", method: http.MethodPost, body: envelope(event("e1", 1)), wantCode: sspm.CodeUnauthorized},
		{name: "not JSON", method: http.MethodPost, auth: hookSecret, body: `{"eventType":`, wantCode: sspm.CodeInvalid},
		{name: "not an event hook", method: http.MethodPost, auth: hookSecret, body: `{"eventType":"something","eventId":"x","data":{"events":[]}}`, wantCode: sspm.CodeInvalid},
		{name: "no data", method: http.MethodPost, auth: hookSecret, body: `{"eventType":"com.okta.event_hook","eventId":"x"}`, wantCode: sspm.CodeInvalid},
		{name: "event without uuid", method: http.MethodPost, auth: hookSecret, body: envelope(event("", 1)), wantCode: sspm.CodeInvalid},
		{name: "event without published", method: http.MethodPost, auth: hookSecret, body: envelope(`{"uuid":"e1","eventType":"x"}`), wantCode: sspm.CodeInvalid},
		{name: "event that is not an object", method: http.MethodPost, auth: hookSecret, body: envelope(`"e1"`), wantCode: sspm.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/hooks/okta/okta-1", strings.NewReader(tt.body))
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if tt.challenge != "" {
				r.Header.Set("X-Okta-Verification-Challenge", tt.challenge)
			}
			v, err := okta.VerifyHook(r, []byte(tt.body), []byte(hookSecret))
			if tt.wantCode != "" {
				if sspm.ErrorCode(err) != tt.wantCode {
					t.Fatalf("err %v (code %s), want %s", err, sspm.ErrorCode(err), tt.wantCode)
				}
				if tt.wantCode == sspm.CodeInvalid && tt.method == http.MethodPost && !strings.Contains(err.Error(), "malformed delivery") {
					t.Fatalf("err %v does not say malformed delivery", err)
				}
				return
			}
			if err != nil || string(v.Challenge) != tt.wantChallenge || v.DeliveryID != tt.wantDelivery {
				t.Fatalf("verified %+v (%s), err %v", v, v.Challenge, err)
			}
		})
	}
	if _, err := okta.VerifyHook(httptest.NewRequest(http.MethodPost, "/", nil), []byte(envelope()), nil); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("an empty secret accepted a delivery: %v", err)
	}
}

func TestParseHookMapsEvents(t *testing.T) {
	events, err := okta.ParseHook([]byte(envelope(event("e1", 1), event("e2", 2))))
	if err != nil || len(events) != 2 {
		t.Fatalf("parse: %v, %d events", err, len(events))
	}
	e := events[0]
	want := sspm.Event{ProviderEventID: "e1", Type: "group.user_membership.add", Category: "membership.add", ActorExternalID: "00uadmin",
		ActorDisplay: "Ada Admin", Outcome: "success", OccurredAt: time.Date(2026, 11, 26, 10, 0, 1, 0, time.UTC), Source: "push"}
	got := e
	got.Targets, got.Raw = nil, nil
	if !equalEvents(got, want) {
		t.Fatalf("event %+v, want %+v", got, want)
	}
	if len(e.Targets) != 2 || e.Targets[1] != (sspm.EventTarget{Type: "UserGroup", ExternalID: "00g1", DisplayName: "Engineering"}) || !json.Valid(e.Raw) {
		t.Fatalf("targets %+v raw %s", e.Targets, e.Raw)
	}
}

func equalEvents(a, b sspm.Event) bool {
	return a.ProviderEventID == b.ProviderEventID && a.Type == b.Type && a.Category == b.Category &&
		a.ActorExternalID == b.ActorExternalID && a.ActorDisplay == b.ActorDisplay && a.Outcome == b.Outcome &&
		a.OccurredAt.Equal(b.OccurredAt) && a.Source == b.Source
}

// FuzzParseHook: the hook parser never panics, and what it accepts is a delivery of events with ids and times.
func FuzzParseHook(f *testing.F) {
	f.Add([]byte(envelope(event("e1", 1), event("e2", 2))))
	f.Add([]byte(envelope()))
	f.Add([]byte(`{"eventType":"com.okta.event_hook","eventId":"x","data":{"events":[{"uuid":"u","published":"2026-01-02T03:04:05.678+01:00","target":null,"actor":null,"outcome":null}]}}`))
	f.Add([]byte(`{"eventType":"com.okta.event_hook","eventId":"x","data":{"events":[{"uuid":"u","published":"2026-13-45T99:99:99Z"}]}}`))
	f.Add([]byte(`{"eventType":"com.okta.event_hook","eventId":"x","data":{"events":[{"uuid":1}]}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := okta.ParseHook(body)
		if err != nil {
			if sspm.ErrorCode(err) != sspm.CodeInvalid {
				t.Fatalf("error %v is not CodeInvalid", err)
			}
			return
		}
		for _, e := range events {
			if e.ProviderEventID == "" || e.OccurredAt.IsZero() || e.Source != "push" || !json.Valid(e.Raw) {
				t.Fatalf("accepted an event %+v", e)
			}
		}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Authorization", hookSecret)
		if _, err := okta.VerifyHook(r, body, []byte(hookSecret)); err != nil {
			t.Fatalf("Parse accepts what Verify rejects: %v", err)
		}
	})
}
