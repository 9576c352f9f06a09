package github

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// GitHub organization webhooks (docs/connectors/github.md#webhook-registration): POSTs signed with X-Hub-Signature-256 = "sha256=" + hex
// HMAC-SHA256 of the raw body with the webhook secret; X-GitHub-Event names the event and X-GitHub-Delivery is
// the delivery's GUID. The legacy SHA-1 signature is not accepted.

const (
	sigHeader      = "X-Hub-Signature-256"
	eventHeader    = "X-GitHub-Event"
	deliveryHeader = "X-GitHub-Delivery"
)

// VerifyHook checks the signature in constant time before anything else (a bad or missing one is
// sspm.CodeUnauthorized), then that the event and delivery headers are present and the body is a JSON object
// (sspm.CodeInvalid). GitHub's "ping" is verified like any delivery; it maps to no event.
func VerifyHook(r *http.Request, body, secret []byte) (connector.Verified, error) {
	if r.Method != http.MethodPost {
		return connector.Verified{}, sspm.Errorf(sspm.CodeInvalid, "github webhook: POST deliveries only")
	}
	if !validSignature(r.Header.Get(sigHeader), body, secret) {
		return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "github webhook: bad signature")
	}
	event, id := r.Header.Get(eventHeader), r.Header.Get(deliveryHeader)
	switch {
	case event == "":
		return connector.Verified{}, malformed("no " + eventHeader)
	case id == "":
		return connector.Verified{}, malformed("no " + deliveryHeader)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return connector.Verified{}, malformed("the body is not a JSON object")
	}
	wrapped, err := WrapDelivery(r, body)
	if err != nil {
		return connector.Verified{}, fmt.Errorf("github webhook: wrap delivery: %w", err)
	}
	return connector.Verified{DeliveryID: id, Body: wrapped}, nil
}

func validSignature(header string, body, secret []byte) bool {
	if len(secret) == 0 {
		return false
	}
	got, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(sig, m.Sum(nil))
}

// Envelope is a delivery with its headers, the form VerifyHook has the webhook path queue (connector.Verified.Body),
// so that ParseHook keys events by the delivery id; ParseHook also accepts a raw payload (keyed by its hash).
type Envelope struct {
	Event      string          `json:"github_event"`
	DeliveryID string          `json:"github_delivery"`
	Payload    json.RawMessage `json:"payload"`
}

// WrapDelivery builds the envelope of a verified request.
func WrapDelivery(r *http.Request, body []byte) ([]byte, error) {
	return json.Marshal(Envelope{Event: r.Header.Get(eventHeader), DeliveryID: r.Header.Get(deliveryHeader), Payload: body})
}

// ParseHook turns a queued delivery into canonical events. Given an Envelope, the event type comes from its
// header; given a raw payload, the event is recognised by its shape. Either way ProviderEventID is "sha256:" and
// the hash of the signed payload: only the payload is signed, so a captured delivery replayed under a new
// delivery id or event header carries the same hash and is stored once, like GitHub's own redelivery.
func (o Options) ParseHook(body []byte) ([]sspm.Event, error) {
	var env Envelope
	trimmed := bytes.TrimSpace(body)
	if err := json.Unmarshal(trimmed, &env); err == nil && env.Event != "" && len(env.Payload) > 0 {
		if env.DeliveryID == "" {
			return nil, malformed("envelope without delivery id")
		}
		return mapDelivery(env.Event, payloadID(env.Payload), env.Payload, o.now())
	}
	event, err := inferEvent(trimmed)
	if err != nil {
		return nil, err
	}
	return mapDelivery(event, payloadID(trimmed), trimmed, o.now())
}

// payloadID keys a delivery's event by its payload's hash (the bytes GitHub signed).
func payloadID(payload []byte) string {
	sum := sha256.Sum256(bytes.TrimSpace(payload))
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// inferEvent recognises a payload's event by the keys GitHub puts in it.
func inferEvent(body []byte) (string, error) {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(body, &p); err != nil || p == nil {
		return "", malformed("the body is not a JSON object")
	}
	has := func(k string) bool { v, ok := p[k]; return ok && string(v) != "null" }
	var action string
	_ = json.Unmarshal(p["action"], &action)
	switch {
	case has("personal_access_token_request"):
		return "personal_access_token_request", nil
	case has("zen") && has("hook_id"):
		return "ping", nil
	case has("scope") && has("member") && has("team"):
		return "membership", nil
	case has("member") && has("repository"):
		return "member", nil
	case has("team") && has("repository") && action == "":
		return "team_add", nil
	case has("team"):
		return "team", nil
	case has("membership") || strings.HasPrefix(action, "member_") || action == "renamed" && !has("repository"):
		return "organization", nil
	case has("repository"):
		return "repository", nil
	case has("installation") && (has("repositories") || action != ""):
		return "installation", nil
	}
	return "", malformed("unrecognised webhook payload")
}

func malformed(why string) error {
	return sspm.Errorf(sspm.CodeInvalid, "malformed delivery: %s", why)
}
