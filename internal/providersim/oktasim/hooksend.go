package oktasim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// HookOptions shape event hook deliveries.
type HookOptions struct {
	// BatchSize is the most events per delivery; 0 means 10.
	BatchSize int
	// Duplicate delivers every batch twice (at-least-once delivery).
	Duplicate bool
	// Reverse delivers a hook's batches newest first (out-of-order delivery).
	Reverse bool
}

// hookTimeout is how long Okta waits for an event hook endpoint.
const hookTimeout = 3 * time.Second

// verifyEventHook serves POST /api/v1/eventHooks/{eventHookId}/lifecycle/verify:
// it sends the one-time GET with X-Okta-Verification-Challenge (and the
// configured headers) and expects {"verification": "<challenge>"} back
// within three seconds.
func (s *Server) verifyEventHook(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("eventHookId")
	s.mu.Lock()
	h, ok := s.hooks.byID[id]
	var uri string
	var headers http.Header
	var challenge string
	if ok {
		uri, headers = h.uri, h.requestHeaders()
		s.hooks.nonce++
		challenge = "sim-challenge-" + uuid(s.eventSeed, uint64(s.hooks.nonce)<<20)
	}
	s.mu.Unlock()
	if !ok {
		s.notFound(w, id, "EventHook")
		return
	}
	verr := s.sendChallenge(r.Context(), uri, headers, challenge)
	s.mu.Lock()
	var b hookBody
	if h, ok = s.hooks.byID[id]; ok {
		h.lastUpdated = rq.now
		if verr == nil {
			h.verificationStatus = "VERIFIED"
		}
		b = h.body(rq.base)
	}
	s.mu.Unlock()
	if verr != nil {
		s.writeError(w, http.StatusBadRequest, codeHookVerifyFail, "Api validation failed: verify",
			"Verification of the event hook failed: "+verr.Error())
		return
	}
	writeHookJSON(w, http.StatusOK, b)
}

// requestHeaders returns the headers Okta sends to the hook endpoint.
func (h *hook) requestHeaders() http.Header {
	hd := http.Header{}
	for _, kv := range h.headers {
		hd.Set(kv.Key, kv.Value)
	}
	if h.authKey != "" {
		hd.Set(h.authKey, h.authValue)
	}
	return hd
}

func (s *Server) hookClient() *http.Client {
	if s.opts.HookClient != nil {
		return s.opts.HookClient
	}
	return &http.Client{Timeout: hookTimeout}
}

func (s *Server) sendChallenge(ctx context.Context, uri string, headers http.Header, challenge string) error {
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return err
	}
	req.Header = headers.Clone()
	req.Header.Set("X-Okta-Verification-Challenge", challenge)
	resp, err := s.hookClient().Do(req)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	var got struct {
		Verification string `json:"verification"`
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("endpoint answered %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&got); err != nil || got.Verification != challenge {
		return errors.New("endpoint did not echo the challenge")
	}
	return nil
}

// DeliveryReport says what one DeliverHooks call sent.
type DeliveryReport struct {
	// Batches is the number of POST bodies sent (duplicates included).
	Batches int
	// Events is the number of events in the batches that were accepted.
	Events int
	// Attempts counts requests, retries included.
	Attempts int
	// Failed counts batches rejected (4xx, not retried) or failing twice.
	Failed int
	// Errors describes each failed batch.
	Errors []error
}

// hookBatch is one delivery of a hook's events.
type hookBatch struct {
	h      *hook
	uri    string
	header http.Header
	source string
	events []*logEvent
}

// DeliverHooks sends every queued event to the verified, active hooks
// subscribed to its type, synchronously: POSTs of Okta's event hook envelope
// with the hook's authorization header, at most BatchSize events each, one
// retry after a 5xx or a transport error, none after a 4xx. Events that
// fail are dropped, as Okta drops them. It stops when ctx ends.
func (s *Server) DeliverHooks(ctx context.Context) (DeliveryReport, error) {
	size := s.opts.Hooks.BatchSize
	if size <= 0 {
		size = 10
	}
	var batches []hookBatch
	s.mu.Lock()
	for _, h := range s.hooks.hooks {
		var hb []hookBatch
		for len(h.pending) > 0 {
			n := min(size, len(h.pending))
			hb = append(hb, hookBatch{h: h, uri: h.uri, header: h.requestHeaders(), source: h.source, events: h.pending[:n:n]})
			h.pending = h.pending[n:]
		}
		h.pending = nil
		if s.opts.Hooks.Reverse {
			for i, j := 0, len(hb)-1; i < j; i, j = i+1, j-1 {
				hb[i], hb[j] = hb[j], hb[i]
			}
		}
		for _, b := range hb {
			batches = append(batches, b)
			if s.opts.Hooks.Duplicate {
				batches = append(batches, b)
			}
		}
	}
	s.mu.Unlock()

	var rep DeliveryReport
	for _, b := range batches {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("deliver hooks: %w", err)
		}
		rep.Batches++
		body := s.hookEnvelope(b)
		var err error
		for attempt := 0; attempt < 2; attempt++ {
			rep.Attempts++
			var retry bool
			retry, err = s.postHook(ctx, b, body)
			if err == nil || !retry {
				break
			}
		}
		if err != nil {
			rep.Failed++
			rep.Errors = append(rep.Errors, fmt.Errorf("hook %s: %w", b.h.id, err))
			continue
		}
		rep.Events += len(b.events)
	}
	return rep, nil
}

// hookEnvelope encodes the event hook request body.
func (s *Server) hookEnvelope(b hookBatch) []byte {
	s.mu.Lock()
	s.hooks.nonce++
	n := s.hooks.nonce
	s.mu.Unlock()
	jw := &jsonw{}
	jw.beginObject()
	jw.fStr("eventType", "com.okta.event_hook")
	jw.fStr("eventTypeVersion", "1.0")
	jw.fStr("cloudEventsVersion", "0.1")
	jw.fStr("source", b.source)
	jw.fStr("eventId", uuid(s.eventSeed, uint64(n)<<24|0xE))
	jw.key("data")
	jw.beginObject()
	jw.key("events")
	jw.beginArray()
	for _, e := range b.events {
		writeLogEvent(jw, e, s.eventSeed)
	}
	jw.endArray()
	jw.endObject()
	jw.fTime("eventTime", s.now())
	jw.fStr("contentType", "application/json")
	jw.endObject()
	return jw.b
}

// postHook sends one delivery; retry says whether a failure may be retried.
func (s *Server) postHook(ctx context.Context, b hookBatch, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.uri, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header = b.header.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.hookClient().Do(req)
	if err != nil {
		return true, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500:
		return true, errors.New("endpoint answered " + strconv.Itoa(resp.StatusCode))
	}
	return false, errors.New("endpoint answered " + strconv.Itoa(resp.StatusCode))
}
