package lane_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type failingInboxStore struct{ err error }

func (failingInboxStore) Connector(_ context.Context, id string) (sspm.Connector, error) {
	return sspm.Connector{ID: id, Kind: sspm.KindTestSource, Enabled: true}, nil
}

func (s failingInboxStore) StoreDeliveries(context.Context, []sspm.DeliveryOutcome) (map[string]int64, error) {
	return nil, s.err
}

// TestInboxLogsABatchFailure: a batch the store refuses is retried message by message, and the failure is logged
// with its cause (it was silent: only the queue's attempt count showed it).
func TestInboxLogsABatchFailure(t *testing.T) {
	var log bytes.Buffer
	in := &lane.Inbox{
		Store: failingInboxStore{err: errors.New("ON CONFLICT DO UPDATE command cannot affect row a second time")},
		Parser: func(sspm.Kind) (lane.ParserFunc, error) {
			return func([]byte) ([]sspm.Event, error) { return nil, nil }, nil
		},
		Logger: slog.New(slog.NewTextHandler(&log, nil)),
	}
	var msgs []sspm.Message
	for _, id := range []string{"d1", "d1", "d2"} {
		body, _ := json.Marshal(sspm.Delivery{ConnectorID: "c1", Kind: sspm.KindTestSource, DeliveryID: id, Body: []byte(`{}`)})
		msgs = append(msgs, sspm.Message{ID: "m-" + id, Receipt: "r-" + id, Body: body})
	}
	failed := in.Process(context.Background(), msgs)
	if len(failed) != 3 {
		t.Fatalf("failed = %d, want every message of the batch", len(failed))
	}
	if got := log.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "cannot affect row a second time") {
		t.Fatalf("the batch failure was not logged: %q", got)
	}
}
