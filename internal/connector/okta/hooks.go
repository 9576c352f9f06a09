package okta

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Okta event hooks (docs/connectors/okta.md#webhook-registration-event-hooks): a one-time GET with X-Okta-Verification-Challenge that must be echoed as
// {"verification": "<challenge>"}, then POSTs of the envelope {"eventType": "com.okta.event_hook", "eventId",
// "data": {"events": [LogEvent...]}} with the Authorization header exactly as registered.

const (
	challengeHeader = "X-Okta-Verification-Challenge"
	hookEventType   = "com.okta.event_hook"
)

// VerifyHook checks a request's Authorization header against the connector's webhook secret in constant time,
// answers a verification challenge, and checks that a delivery is a well-formed event hook envelope. A bad
// secret is sspm.CodeUnauthorized; a malformed delivery sspm.CodeInvalid ("malformed delivery: ...").
func VerifyHook(r *http.Request, body, secret []byte) (connector.Verified, error) {
	if !authorized(r.Header.Get("Authorization"), secret) {
		return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "okta event hook: bad authorization")
	}
	if r.Method == http.MethodGet {
		challenge := r.Header.Get(challengeHeader)
		if challenge == "" {
			return connector.Verified{}, sspm.Errorf(sspm.CodeInvalid, "okta event hook: a GET without %s", challengeHeader)
		}
		answer, err := json.Marshal(map[string]string{"verification": challenge})
		if err != nil {
			return connector.Verified{}, fmt.Errorf("okta event hook: encode challenge: %w", err)
		}
		return connector.Verified{Challenge: answer, ContentType: "application/json"}, nil
	}
	d, err := parseDelivery(body)
	if err != nil {
		return connector.Verified{}, err
	}
	return connector.Verified{DeliveryID: d.EventID}, nil
}

// authorized compares the header with the secret in constant time (hashing both first, so that not even the
// length leaks). An empty secret authorizes nothing.
func authorized(header string, secret []byte) bool {
	if len(secret) == 0 {
		return false
	}
	got, want := sha256.Sum256([]byte(header)), sha256.Sum256(secret)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// ParseHook turns a delivery into canonical events with the tail's mapping (mapEvent).
func ParseHook(body []byte) ([]sspm.Event, error) {
	d, err := parseDelivery(body)
	if err != nil {
		return nil, err
	}
	return d.events, nil
}

type delivery struct {
	EventID string
	events  []sspm.Event
}

// parseDelivery checks the envelope and maps every event; any event without uuid or published makes the whole
// delivery malformed.
func parseDelivery(body []byte) (delivery, error) {
	var env struct {
		EventType string `json:"eventType"`
		EventID   string `json:"eventId"`
		Data      *struct {
			Events []json.RawMessage `json:"events"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return delivery{}, malformed("not a JSON event hook envelope")
	}
	switch {
	case env.EventType != hookEventType:
		return delivery{}, malformed("eventType is not " + hookEventType)
	case env.EventID == "":
		return delivery{}, malformed("no eventId")
	case env.Data == nil || env.Data.Events == nil:
		return delivery{}, malformed("no data.events")
	}
	d := delivery{EventID: env.EventID, events: make([]sspm.Event, 0, len(env.Data.Events))}
	for i, raw := range env.Data.Events {
		e, _, err := mapEvent(raw)
		if err != nil {
			return delivery{}, malformed(fmt.Sprintf("event %d: %v", i, err))
		}
		e.Source = "push"
		d.events = append(d.events, e)
	}
	return d, nil
}

func malformed(why string) error {
	return sspm.Errorf(sspm.CodeInvalid, "malformed delivery: %s", why)
}
