package oktasim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// hook is a registered event hook.
type hook struct {
	seq                        int64
	id, name, description      string
	status, verificationStatus string
	created, lastUpdated       time.Time
	createdBy                  string
	events                     []string
	uri                        string
	headers                    []hookHeader
	authKey, authValue         string
	source                     string // the hook's URL in Okta, sent as `source`
	pending                    []*logEvent
}

type hookHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// hookSet holds the event hooks; guarded by Server.mu.
type hookSet struct {
	hooks []*hook
	byID  map[string]*hook
	seq   int64 // hook ids
	nonce int64 // challenges and delivery ids
}

// enqueue queues e for every active, verified hook subscribed to its type.
func (hs *hookSet) enqueue(e *logEvent) {
	for _, h := range hs.hooks {
		if h.status != "ACTIVE" || h.verificationStatus != "VERIFIED" {
			continue
		}
		for _, t := range h.events {
			if t == e.eventType {
				h.pending = append(h.pending, e)
				break
			}
		}
	}
}

// hookBody is the EventHook JSON shape, for requests and responses.
type hookBody struct {
	ID                 string     `json:"id,omitempty"`
	Status             string     `json:"status,omitempty"`
	VerificationStatus string     `json:"verificationStatus,omitempty"`
	Name               string     `json:"name"`
	Description        *string    `json:"description"`
	Created            string     `json:"created,omitempty"`
	CreatedBy          string     `json:"createdBy,omitempty"`
	LastUpdated        string     `json:"lastUpdated,omitempty"`
	Events             hookEvents `json:"events"`
	Channel            struct {
		Type    string `json:"type"`
		Version string `json:"version"`
		Config  struct {
			URI        string       `json:"uri"`
			Headers    []hookHeader `json:"headers"`
			Method     string       `json:"method,omitempty"`
			AuthScheme *struct {
				Type  string `json:"type"`
				Key   string `json:"key"`
				Value string `json:"value,omitempty"`
			} `json:"authScheme"`
		} `json:"config"`
	} `json:"channel"`
	Links map[string]map[string]string `json:"_links,omitempty"`
}

type hookEvents struct {
	Type   string   `json:"type"`
	Items  []string `json:"items"`
	Filter any      `json:"filter"`
}

// body renders the hook; the auth secret is never echoed.
func (h *hook) body(base string) hookBody {
	var b hookBody
	b.ID, b.Status, b.VerificationStatus, b.Name = h.id, h.status, h.verificationStatus, h.name
	if h.description != "" {
		b.Description = &h.description
	}
	b.Created, b.LastUpdated, b.CreatedBy = h.created.UTC().Format(oktaTime), h.lastUpdated.UTC().Format(oktaTime), h.createdBy
	b.Events = hookEvents{Type: "EVENT_TYPE", Items: h.events}
	b.Channel.Type, b.Channel.Version = "HTTP", "1.0.0"
	b.Channel.Config.URI, b.Channel.Config.Headers, b.Channel.Config.Method = h.uri, h.headers, "POST"
	if b.Channel.Config.Headers == nil {
		b.Channel.Config.Headers = []hookHeader{}
	}
	if h.authKey != "" {
		b.Channel.Config.AuthScheme = &struct {
			Type  string `json:"type"`
			Key   string `json:"key"`
			Value string `json:"value,omitempty"`
		}{Type: "HEADER", Key: h.authKey}
	}
	self := base + "/api/v1/eventHooks/" + h.id
	b.Links = map[string]map[string]string{
		"self": {"href": self}, "verify": {"href": self + "/lifecycle/verify", "method": "POST"},
		"deactivate": {"href": self + "/lifecycle/deactivate", "method": "POST"},
	}
	return b
}

func writeHookJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"errorCode":"E0000009","errorSummary":"Internal Server Error"}`)
	}
	writeBody(w, status, body)
}

// createEventHook serves POST /api/v1/eventHooks. The hook starts ACTIVE and
// UNVERIFIED; deliveries begin after verification. The URI must be https,
// except on a loopback host so tests and the demo can use plain http.
func (s *Server) createEventHook(w http.ResponseWriter, r *http.Request, rq *request) {
	var in hookBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		s.writeError(w, http.StatusBadRequest, codeValidation, "Api validation failed: eventHook", "The request body was not well-formed.")
		return
	}
	cfg := in.Channel.Config
	var causes []string
	if in.Name == "" {
		causes = append(causes, "name: The field cannot be left blank")
	}
	if in.Events.Type != "EVENT_TYPE" || len(in.Events.Items) == 0 {
		causes = append(causes, "events: type must be EVENT_TYPE with at least one item")
	}
	if in.Channel.Type != "HTTP" {
		causes = append(causes, "channel.type: must be HTTP")
	}
	if u, err := url.Parse(cfg.URI); err != nil || !(u.Scheme == "https" || (u.Scheme == "http" && isLoopback(u.Hostname()))) {
		causes = append(causes, "channel.config.uri: must be an https URL")
	}
	if len(causes) > 0 {
		s.writeError(w, http.StatusBadRequest, codeValidation, "Api validation failed: eventHook", causes...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks.seq++
	h := &hook{seq: s.hooks.seq, id: s.ids.id(prefixHook, s.hooks.seq), name: in.Name, status: "ACTIVE",
		verificationStatus: "UNVERIFIED", created: rq.now, lastUpdated: rq.now, createdBy: s.adminActor().id,
		events: in.Events.Items, uri: cfg.URI, headers: cfg.Headers}
	if in.Description != nil {
		h.description = *in.Description
	}
	if cfg.AuthScheme != nil {
		h.authKey, h.authValue = cfg.AuthScheme.Key, cfg.AuthScheme.Value
	}
	h.source = rq.base + "/api/v1/eventHooks/" + h.id
	s.hooks.hooks = append(s.hooks.hooks, h)
	s.hooks.byID[h.id] = h
	writeHookJSON(w, http.StatusOK, h.body(rq.base))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listEventHooks serves GET /api/v1/eventHooks.
func (s *Server) listEventHooks(w http.ResponseWriter, r *http.Request, rq *request) {
	s.mu.RLock()
	out := make([]hookBody, 0, len(s.hooks.hooks))
	for _, h := range s.hooks.hooks {
		out = append(out, h.body(rq.base))
	}
	s.mu.RUnlock()
	writeHookJSON(w, http.StatusOK, out)
}

// getEventHook serves GET /api/v1/eventHooks/{eventHookId}.
func (s *Server) getEventHook(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("eventHookId")
	s.mu.RLock()
	h, ok := s.hooks.byID[id]
	var b hookBody
	if ok {
		b = h.body(rq.base)
	}
	s.mu.RUnlock()
	if !ok {
		s.notFound(w, id, "EventHook")
		return
	}
	writeHookJSON(w, http.StatusOK, b)
}

// deleteEventHook serves DELETE /api/v1/eventHooks/{eventHookId}.
func (s *Server) deleteEventHook(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("eventHookId")
	s.mu.Lock()
	h, ok := s.hooks.byID[id]
	if ok {
		delete(s.hooks.byID, id)
		s.hooks.hooks = removePtr(s.hooks.hooks, h)
	}
	s.mu.Unlock()
	if !ok {
		s.notFound(w, id, "EventHook")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// setEventHookStatus serves POST /api/v1/eventHooks/{id}/lifecycle/activate
// and /deactivate.
func (s *Server) setEventHookStatus(status string) func(http.ResponseWriter, *http.Request, *request) {
	return func(w http.ResponseWriter, r *http.Request, rq *request) {
		id := r.PathValue("eventHookId")
		s.mu.Lock()
		h, ok := s.hooks.byID[id]
		var b hookBody
		if ok {
			h.status, h.lastUpdated = status, rq.now
			b = h.body(rq.base)
		}
		s.mu.Unlock()
		if !ok {
			s.notFound(w, id, "EventHook")
			return
		}
		writeHookJSON(w, http.StatusOK, b)
	}
}
