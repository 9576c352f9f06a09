package entra

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Change notifications (providers.md §3.5) for users and groups arrive at /hooks/entra/{connector}:
//
//   - Validation: when a subscription is created or renewed, Graph POSTs with ?validationToken=… and expects the
//     token back as text/plain. The connector answers only for a notification URL it made: SubscriptionURL adds
//     a parameter "s" that is an HMAC of the webhook secret, checked in constant time; any other validation
//     request is refused, so nobody can point a subscription of theirs at our endpoint.
//   - Notifications: {"value":[…]} whose every item carries clientState = the connector's webhook secret (Graph
//     echoes what the subscription was created with), compared in constant time after hashing; a delivery with
//     one wrong item is refused whole. The endpoint caps the body size. Users and groups notifications carry no
//     resource data and no time: each item becomes an event naming the changed user or group (its id is a hash
//     of the item, so Graph's retries are stored once), stamped with the time it was received.

// SubscriptionURL is the notification URL to create a subscription with: hookURL with the marker that lets
// validation requests for it be answered.
func SubscriptionURL(hookURL string, secret []byte) string {
	sep := "?"
	if strings.Contains(hookURL, "?") {
		sep = "&"
	}
	return hookURL + sep + "s=" + subscriptionMark(secret)
}

func subscriptionMark(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("open-sspm entra subscription"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// VerifyNotification checks a change-notification request (see above). A bad secret or marker is
// sspm.CodeUnauthorized; a malformed body sspm.CodeInvalid.
func VerifyNotification(r *http.Request, body, secret []byte) (connector.Verified, error) {
	if len(secret) == 0 {
		return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "entra notification: no webhook secret")
	}
	q := r.URL.Query()
	if token, ok := q["validationToken"]; ok {
		if !sameSecret(q.Get("s"), []byte(subscriptionMark(secret))) {
			return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "entra notification: a validation request for a URL we did not subscribe")
		}
		if len(token) != 1 || token[0] == "" || len(token[0]) > 1024 {
			return connector.Verified{}, sspm.Errorf(sspm.CodeInvalid, "malformed delivery: validationToken")
		}
		return connector.Verified{Challenge: []byte(token[0]), ContentType: "text/plain; charset=utf-8"}, nil
	}
	items, err := notifications(body)
	if err != nil {
		return connector.Verified{}, err
	}
	for _, n := range items {
		if !sameSecret(n.ClientState, secret) {
			return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "entra notification: clientState does not match")
		}
	}
	wrapped, _ := json.Marshal(receivedNotifications{ReceivedAt: time.Now().UTC().Truncate(time.Second), Body: body})
	return connector.Verified{Body: wrapped}, nil
}

// receivedNotifications is what the inbox queues: the delivery and when it came (notifications carry no time).
type receivedNotifications struct {
	ReceivedAt time.Time       `json:"received_at"`
	Body       json.RawMessage `json:"body"`
}

// sameSecret compares in constant time, hashing both first so that not even the length leaks.
func sameSecret(got string, want []byte) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256(want)
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// notification is one item of a delivery.
type notification struct {
	SubscriptionID string `json:"subscriptionId"`
	ClientState    string `json:"clientState"`
	ChangeType     string `json:"changeType"`
	Resource       string `json:"resource"`
	TenantID       string `json:"tenantId"`
	ResourceData   *struct {
		Type string `json:"@odata.type"`
		ID   string `json:"id"`
	} `json:"resourceData"`
}

func notifications(body []byte) ([]notification, error) {
	var env struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Value == nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "malformed delivery: not a change notification collection")
	}
	out := make([]notification, len(env.Value))
	for i, raw := range env.Value {
		if err := json.Unmarshal(raw, &out[i]); err != nil || out[i].SubscriptionID == "" || out[i].ChangeType == "" ||
			out[i].ResourceData == nil || out[i].ResourceData.ID == "" {
			return nil, sspm.Errorf(sspm.CodeInvalid, "malformed delivery: notification %d lacks subscriptionId, changeType or resourceData.id", i)
		}
	}
	return out, nil
}

// ParseNotifications turns a queued delivery into events: "users.updated", "groups.deleted", … with the user or
// group as target; the event id is a hash of the notification (without its clientState).
func ParseNotifications(queued []byte) ([]sspm.Event, error) {
	var rn receivedNotifications
	if err := json.Unmarshal(queued, &rn); err != nil || rn.Body == nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "malformed delivery: not a queued change notification")
	}
	var env struct {
		Value []json.RawMessage `json:"value"`
	}
	items, err := notifications(rn.Body)
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal(rn.Body, &env)
	out := make([]sspm.Event, 0, len(items))
	for i, n := range items {
		kind := "user"
		if strings.Contains(strings.ToLower(n.ResourceData.Type+n.Resource), "group") {
			kind = "group"
		}
		var m map[string]any
		_ = json.Unmarshal(env.Value[i], &m)
		delete(m, "clientState") // the secret is never stored
		raw, _ := json.Marshal(m)
		sum := sha256.Sum256(raw)
		change := strings.ToLower(n.ChangeType)
		category := map[string]string{"user": "user.update", "group": "group.change"}[kind]
		if change == "deleted" && kind == "user" {
			category = "user.delete"
		}
		out = append(out, sspm.Event{ProviderEventID: "notification:" + hex.EncodeToString(sum[:16]),
			Type: fmt.Sprintf("%ss.%s", kind, change), Category: category, Outcome: "success", OccurredAt: rn.ReceivedAt,
			Source: "push", Raw: raw, Targets: []sspm.EventTarget{{Type: kind, ExternalID: n.ResourceData.ID}}})
	}
	return out, nil
}
