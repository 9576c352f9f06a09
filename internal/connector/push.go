package connector

import (
	"context"
	"net/http"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Push describes how a connector kind receives push deliveries (Okta event hooks, GitHub webhooks).
// The webhook endpoint calls Verify before anything is queued, and the inbox lane calls Parse later.
type Push struct {
	// Verify checks a delivery's authenticity against the connector's webhook secret, in constant time, and its
	// shape, before it is queued. It returns a sspm.CodeUnauthorized error for a bad secret and sspm.CodeInvalid
	// for a malformed body. For a provider's verification request (Okta's GET with a challenge) it returns the
	// answer to send in Challenge and nothing is queued.
	Verify func(r *http.Request, body, secret []byte) (Verified, error)
	// Parse turns a queued delivery into canonical events, the same mapping the tail lane uses, so a pushed
	// event and the same tailed event are stored once.
	Parse func(body []byte) ([]sspm.Event, error)
	// Register, when set, registers hookURL with the provider through its API, with hookSecret as the
	// delivery's credential, and returns the provider's id of the hook. Kinds whose hooks an administrator
	// registers by hand leave it nil.
	Register func(ctx context.Context, c sspm.Connector, secret []byte, hookURL, hookSecret string) (string, error)
}

// Verified is the outcome of a verified request.
type Verified struct {
	// Challenge, when set, is the body to answer a verification request with; nothing is queued.
	Challenge   []byte
	ContentType string
	// DeliveryID is the provider's id of the delivery, when it has one (for the inbox record).
	DeliveryID string
	// Body, when set, is queued instead of the raw body: a provider whose event type and delivery id travel in
	// headers (GitHub) wraps them with the payload so that Parse sees them.
	Body []byte
}
