package sourcetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

const webhookSecret = "conformance-webhook-secret"

// push sends a table of deliveries to the webhook endpoint and processes what it queued with the inbox lane:
// each gets the expected answer, only accepted deliveries are queued, their events are stored once (a duplicate
// adds nothing), and parsing a delivery again gives the same events and stores nothing new.
func push(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	tn := h.NewTenant(t, clk, 0)
	r := newRig(t, h, clk)
	if r.kind.Push == nil {
		t.Fatal("the harness describes push deliveries; the kind takes none")
	}
	ctx := context.Background()
	c := tn.Connector("push")
	if _, err := r.db.CreateConnectorWithSecrets(ctx, postgres.NewConnector{Connector: c, WebhookSecret: []byte(webhookSecret)}); err != nil {
		t.Fatal(err)
	}
	r.tenants[c.ID] = tn
	queue := r.db.Queue("conformance-inbox", 3)
	const maxBody = 64 << 10
	hooks := &api.Hooks{Store: r.db, Registry: connector.NewRegistry(r.kind), Queue: queue, MaxBody: maxBody, Now: clk.Now,
		// Sealing is the secrets package's business: the stored value is the secret itself here.
		Open: func(_ context.Context, _ string, sealed []byte) ([]byte, error) { return sealed, nil }}
	mux := http.NewServeMux()
	mux.Handle("/hooks/{kind}/{connector}", hooks)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	url := srv.URL + "/hooks/" + string(c.Kind) + "/" + c.ID
	inbox := &lane.Inbox{Store: r.db, Parser: func(sspm.Kind) (lane.ParserFunc, error) { return r.kind.Push.Parse, nil }}

	valid := h.Push.Delivery(t, tn, Valid, []byte(webhookSecret), maxBody)
	if valid.Events == 0 {
		t.Fatal("the valid delivery carries no events")
	}
	stored := 0
	tests := []struct {
		give   DeliveryCase
		want   int
		stored bool // its events are stored
	}{
		{Valid, http.StatusOK, true},
		{BadSignature, http.StatusUnauthorized, false},
		{Stale, h.Push.Stale, h.Push.Stale == http.StatusOK},
		{Oversize, http.StatusRequestEntityTooLarge, false},
		{Malformed, http.StatusBadRequest, false},
		{Duplicate, http.StatusOK, true},
	}
	var accepted [][]byte
	for _, tt := range tests {
		d := valid
		if tt.give != Duplicate && tt.give != Valid {
			d = h.Push.Delivery(t, tn, tt.give, []byte(webhookSecret), maxBody)
		}
		if (tt.give == Oversize) != (len(d.Body) > maxBody) {
			t.Fatalf("%s: a body of %d bytes; the limit is %d", tt.give, len(d.Body), maxBody)
		}
		status := deliver(t, url, d)
		if status != tt.want {
			t.Errorf("%s: answered %d, want %d", tt.give, status, tt.want)
		}
		msgs, err := queue.Receive(ctx, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if (len(msgs) > 0) != (tt.want == http.StatusOK) {
			t.Fatalf("%s: %d messages queued", tt.give, len(msgs))
		}
		if failed := inbox.Process(ctx, msgs); len(failed) > 0 {
			t.Fatalf("%s: inbox failures %+v", tt.give, failed)
		}
		for _, m := range msgs {
			if err := queue.Ack(ctx, m.Receipt); err != nil {
				t.Fatal(err)
			}
			var dl sspm.Delivery
			if err := json.Unmarshal(m.Body, &dl); err != nil {
				t.Fatal(err)
			}
			accepted = append(accepted, dl.Body)
		}
		if tt.stored && tt.give != Duplicate {
			stored += d.Events
		}
		if got := storedEvents(t, r, c.ID); len(got) != stored {
			t.Fatalf("after the %s delivery the store holds %d events %v, want %d", tt.give, len(got), keysOf(got), stored)
		}
	}

	// Parsing is idempotent: the same body gives the same events, and storing them again adds none.
	for _, body := range accepted {
		first, err := r.kind.Push.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := r.kind.Push.Parse(body)
		if !reflect.DeepEqual(first, again) {
			t.Errorf("parsing a delivery twice gave different events")
		}
		msg, _ := json.Marshal(sspm.Delivery{ConnectorID: c.ID, Kind: c.Kind, Body: body, ReceivedAt: clk.Now()})
		if failed := inbox.Process(ctx, []sspm.Message{{ID: "again", Body: msg}}); len(failed) > 0 {
			t.Fatalf("processing again: %+v", failed)
		}
	}
	if got := storedEvents(t, r, c.ID); len(got) != stored {
		t.Fatalf("processing the deliveries again stored %d events, want %d", len(got), stored)
	}
}

func deliver(t *testing.T, url string, d Delivery) int {
	t.Helper()
	method := d.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(d.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range d.Header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func storedEvents(t *testing.T, r *rig, id string) map[string]bool {
	t.Helper()
	rows, err := r.db.Pool().Query(context.Background(), `SELECT provider_event_id FROM events WHERE connector_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out[s] = true
	}
	return out
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// failingCommit is the store of a tailer whose process dies before its commit reaches the database.
type failingCommit struct{ lane.TailStore }

var errCommit = errors.New("the process died before the commit")

func (failingCommit) CommitTail(context.Context, string, string, []sspm.Event, sspm.TailCursor, time.Time) ([]sspm.Event, error) {
	return nil, errCommit
}

// tail reads the stream to its end, then checks the overlap (a later read reads older events again and stores
// only the new ones) and that the cursor moves only with its events.
func tail(t *testing.T, h Harness) {
	clk := clocktest.New(Start)
	tn := h.NewTenant(t, clk, 0)
	r := newRig(t, h, clk)
	if r.kind.NewStreams == nil {
		t.Fatal("the harness describes a tail; the kind has no streams")
	}
	c := r.add(t, "tail", tn)
	ctx := context.Background()
	streams := func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
		return r.kind.NewStreams(ctx, c, tn.Secret())
	}
	tailer := &lane.Tailer{Store: r.db, Now: clk.Now, Streams: streams}
	stream := h.Tail.Stream
	count := func() int64 {
		n, err := r.db.CountEvents(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	step := func(tl *lane.Tailer) (lane.TailResult, error) { return tl.Step(ctx, c.ID, stream) }
	// catchUp steps until the provider has nothing more waiting; it sums what the steps read and stored.
	catchUp := func() (sum lane.TailResult) {
		for steps := 0; ; steps++ {
			res, err := step(tailer)
			if err != nil {
				t.Fatal(err)
			}
			sum.Read, sum.Stored = sum.Read+res.Read, sum.Stored+res.Stored
			if !res.More {
				return sum
			}
			if steps > 1000 {
				t.Fatal("the tail never catches up")
			}
		}
	}

	total := catchUp().Stored
	if total == 0 || total != count() {
		t.Fatalf("the first reads stored %d events, the store holds %d", total, count())
	}
	caughtUp, _ := r.db.TailCursor(ctx, c.ID, stream)

	// New events; a process that dies before its commit moves neither the cursor nor the events.
	clk.Advance(2 * time.Minute)
	h.Tail.Emit(t, tn, 2)
	if _, err := step(&lane.Tailer{Store: failingCommit{r.db}, Now: clk.Now, Streams: streams}); !errors.Is(err, errCommit) {
		t.Fatalf("a failing commit: %v", err)
	}
	if cur, _ := r.db.TailCursor(ctx, c.ID, stream); cur.Cursor != caughtUp.Cursor || !cur.HighWater.Equal(caughtUp.HighWater) || count() != total {
		t.Fatalf("without a commit the cursor moved (%q → %q) or events were stored (%d → %d)", caughtUp.Cursor, cur.Cursor, total, count())
	}

	// The next read continues from the committed cursor: a kind that follows the provider's position reads the
	// 2 new events; one that goes back over an overlap reads events already stored again. Either stores only the
	// new ones.
	res := catchUp()
	if res.Stored != 2 || res.Read < 2 || count() != total+2 {
		t.Fatalf("read %d, stored %d (store %d → %d); want only the 2 new events stored", res.Read, res.Stored, total, count())
	}
	cur, _ := r.db.TailCursor(ctx, c.ID, stream)
	if cur.Cursor == caughtUp.Cursor && !cur.HighWater.After(caughtUp.HighWater) {
		t.Errorf("the cursor did not move with the events: %+v", cur)
	}
	if again := catchUp(); again.Stored != 0 || count() != total+2 {
		t.Fatalf("a caught-up read stored %d", again.Stored)
	}
}
