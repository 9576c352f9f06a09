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
