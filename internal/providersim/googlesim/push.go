package googlesim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Route patterns of push channels.
const (
	RouteWatch = "/admin/reports/v1/activity/users/{userKey}/applications/{applicationName}/watch"
	RouteStop  = "/admin/reports_v1/channels/stop"
)

// Channel is a Reports push channel (activities.watch): Google POSTs each new activity of the application to
// Address with the channel's id and token in X-Goog-Channel-ID and X-Goog-Channel-Token.
type Channel struct {
	Kind        string `json:"kind,omitempty"`
	ID          string `json:"id"`
	ResourceID  string `json:"resourceId,omitempty"`
	ResourceURI string `json:"resourceUri,omitempty"`
	Token       string `json:"token,omitempty"`
	Expiration  string `json:"expiration,omitempty"` // ms since the epoch, as a string
	Type        string `json:"type,omitempty"`
	Address     string `json:"address,omitempty"`
	Payload     bool   `json:"payload,omitempty"`

	app     string
	expires time.Time
	next    int // the next activity (index into the app's log) to deliver
	msgNum  int
	synced  bool
}

// channels are the domain's live push channels.
type channels struct {
	mu   sync.Mutex
	byID map[string]*Channel
}

// maxChannelLife is the longest a Reports channel lives (Google caps channel lifetimes; 6 h here).
const maxChannelLife = 6 * time.Hour

func (s *Server) watch(w http.ResponseWriter, r *http.Request, c *call) {
	app := r.PathValue("applicationName")
	var ch Channel
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&ch); err != nil || ch.ID == "" || ch.Address == "" {
		badRequest(w, "Invalid Input: channel")
		return
	}
	if ch.Type != "web_hook" && ch.Type != "webhook" {
		badRequest(w, "Invalid value for type: "+ch.Type)
		return
	}
	now := s.now()
	ch.expires = now.Add(maxChannelLife)
	if ms, err := strconv.ParseInt(ch.Expiration, 10, 64); err == nil && ms > 0 {
		if t := time.UnixMilli(ms); t.Before(ch.expires) {
			ch.expires = t
		}
	}
	s.pushMu.mu.Lock()
	defer s.pushMu.mu.Unlock()
	if s.pushMu.byID == nil {
		s.pushMu.byID = map[string]*Channel{}
	}
	if old, ok := s.pushMu.byID[ch.ID]; ok && now.Before(old.expires) {
		apiError(w, 400, "INVALID_ARGUMENT", "Channel id "+ch.ID+" not unique", errorItem{Domain: "global", Reason: "channelIdNotUnique", Message: "Channel id not unique"})
		return
	}
	s.mu.RLock()
	ch.next = len(s.log.apps[app])
	s.mu.RUnlock()
	ch.Kind, ch.app = "api#channel", app
	ch.ResourceID = fmt.Sprintf("res-%x", fnv(ch.ID+app))
	ch.ResourceURI = baseURL(r) + "/admin/reports/v1/activity/users/all/applications/" + app + "?alt=json"
	ch.Expiration = strconv.FormatInt(ch.expires.UnixMilli(), 10)
	s.pushMu.byID[ch.ID] = &ch
	body, _ := json.Marshal(ch)
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) stopChannel(w http.ResponseWriter, r *http.Request, _ *call) {
	var ch Channel
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&ch); err != nil || ch.ID == "" {
		badRequest(w, "Invalid Input: channel")
		return
	}
	s.pushMu.mu.Lock()
	defer s.pushMu.mu.Unlock()
	old, ok := s.pushMu.byID[ch.ID]
	if !ok || (ch.ResourceID != "" && ch.ResourceID != old.ResourceID) {
		notFound(w, "channel")
		return
	}
	delete(s.pushMu.byID, ch.ID)
	w.WriteHeader(http.StatusNoContent)
}

// Channels returns a copy of the live channels.
func (s *Server) Channels() []Channel {
	s.pushMu.mu.Lock()
	defer s.pushMu.mu.Unlock()
	var out []Channel
	now := s.now()
	for _, ch := range s.pushMu.byID {
		if now.Before(ch.expires) {
			out = append(out, *ch)
		}
	}
	return out
}

// DeliverPush sends each live channel what Google would: a sync message first, then every activity of its
// application recorded since the channel was made (payload: the activity), message numbers increasing. It
// returns how many notifications were answered 2xx. Expired channels are dropped.
func (s *Server) DeliverPush(ctx context.Context, client *http.Client) (int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	s.pushMu.mu.Lock()
	now := s.now()
	var live []*Channel
	for id, ch := range s.pushMu.byID {
		if !now.Before(ch.expires) {
			delete(s.pushMu.byID, id)
			continue
		}
		live = append(live, ch)
	}
	s.pushMu.mu.Unlock()
	ok := 0
	for _, ch := range live {
		if !ch.synced {
			if err := s.notify(ctx, client, ch, "sync", nil); err != nil {
				return ok, err
			}
			ch.synced = true
			ok++
		}
		s.mu.RLock()
		list := s.log.apps[ch.app]
		var pending []*Activity
		if ch.next < len(list) {
			pending = append(pending, list[ch.next:]...)
		}
		ch.next = len(list)
		s.mu.RUnlock()
		for _, a := range pending {
			body, _ := json.Marshal(a)
			state := ch.app
			if len(a.Events) > 0 {
				state = a.Events[0].Name
			}
			if err := s.notify(ctx, client, ch, state, body); err != nil {
				return ok, err
			}
			ok++
		}
	}
	return ok, nil
}

func (s *Server) notify(ctx context.Context, client *http.Client, ch *Channel, state string, body []byte) error {
	ch.msgNum++
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.Address, bytes.NewReader(body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("X-Goog-Channel-ID", ch.ID)
	h.Set("X-Goog-Channel-Token", ch.Token)
	h.Set("X-Goog-Channel-Expiration", ch.expires.UTC().Format(http.TimeFormat))
	h.Set("X-Goog-Resource-ID", ch.ResourceID)
	h.Set("X-Goog-Resource-URI", ch.ResourceURI)
	h.Set("X-Goog-Resource-State", state)
	h.Set("X-Goog-Message-Number", strconv.Itoa(ch.msgNum))
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("googlesim push to %s: %w", ch.Address, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("googlesim push to %s: %s", ch.Address, resp.Status)
	}
	return nil
}
