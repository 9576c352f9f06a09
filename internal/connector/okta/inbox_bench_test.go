package okta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// BenchmarkInbox measures the event-inbox lane storing Okta event hook deliveries: each queued delivery carries
// 50 System Log events (two targets each), is parsed with the same mapping as the tail and stored once per
// event, in batches of 10 deliveries as the SQS event source hands them over. Reports events stored per second.
func BenchmarkInbox(b *testing.B) {
	ctx := context.Background()
	db := postgrestest.New(b)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true}, nil, ""); err != nil {
		b.Fatal(err)
	}
	inbox := &lane.Inbox{Store: db, Parser: func(sspm.Kind) (lane.ParserFunc, error) { return okta.ParseHook, nil }, Logger: slog.New(slog.DiscardHandler)}
	const perDelivery, perBatch = 50, 10
	base := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	seq := 0
	batch := func() []sspm.Message {
		msgs := make([]sspm.Message, perBatch)
		for m := range msgs {
			events := make([]map[string]any, perDelivery)
			for i := range events {
				seq++
				events[i] = map[string]any{
					"uuid": fmt.Sprintf("ev-%09d", seq), "published": base.Add(time.Duration(seq) * time.Millisecond).Format(time.RFC3339Nano),
					"eventType": "user.session.start", "severity": "INFO", "displayMessage": "User login to Okta",
					"actor":   map[string]any{"id": "00u1", "type": "User", "alternateId": "a@example.com", "displayName": "A"},
					"outcome": map[string]any{"result": "SUCCESS"},
					"target": []map[string]any{
						{"id": "00u2", "type": "User", "alternateId": "b@example.com", "displayName": "B"},
						{"id": "0oa1", "type": "AppInstance", "alternateId": "Slack", "displayName": "Slack"},
					},
				}
			}
			body, _ := json.Marshal(map[string]any{"eventType": "com.okta.event_hook", "eventId": fmt.Sprintf("d-%d", seq), "data": map[string]any{"events": events}})
			d, _ := json.Marshal(sspm.Delivery{ConnectorID: "okta-1", Kind: sspm.KindOkta, DeliveryID: fmt.Sprintf("d-%d", seq), ReceivedAt: base, Body: body})
			msgs[m] = sspm.Message{ID: fmt.Sprint(seq), Body: d, Receipt: fmt.Sprint(seq)}
		}
		return msgs
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		msgs := batch()
		b.StartTimer()
		if failed := inbox.Process(ctx, msgs); len(failed) > 0 {
			b.Fatalf("failed: %v", failed[0].Err)
		}
	}
	b.StopTimer()
	n, err := db.CountEvents(ctx, "okta-1")
	if err != nil || n != int64(b.N*perBatch*perDelivery) {
		b.Fatalf("stored %d events (%v), want %d", n, err, b.N*perBatch*perDelivery)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
