package sspm

import "time"

// Delivery is a verified push delivery as queued between the webhook and the inbox lane.
type Delivery struct {
	ConnectorID string    `json:"connector_id"`
	Kind        Kind      `json:"kind"`
	DeliveryID  string    `json:"delivery_id,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
	Body        []byte    `json:"body"`
}

// DeliveryOutcome is a delivery the inbox lane handled: its events, or why it can never be stored (a body that
// does not parse, an unknown kind).
type DeliveryOutcome struct {
	Delivery Delivery
	Events   []Event
	Failure  string
}
