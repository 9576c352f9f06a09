package entrasim

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Change notifications (Graph: subscription resource type, "Set up notifications for changes in resource
// data"), for the directory resources users and groups:
//
//   - POST /subscriptions {changeType, notificationUrl, resource, expirationDateTime, clientState}: changeType
//     is a comma-separated list of "updated" and "deleted" ("created" is not supported for users and groups:
//     Graph reports creations as updated); resource is "users", "groups", "users/{id}" or "groups/{id}";
//     expirationDateTime must be in the future and at most 41,760 minutes (29 days) ahead, the maximum for
//     directory resources; clientState at most 128 characters. Before answering 201 the simulator makes Graph's
//     validation request: POST notificationUrl?validationToken=… (text/plain) that must answer 200 with the
//     token as its text/plain body within 10 seconds, else 400 "Subscription validation request failed".
//   - GET /subscriptions (the app's subscriptions), GET /subscriptions/{id}, PATCH /subscriptions/{id}
//     {expirationDateTime} (renewal, same limits), DELETE /subscriptions/{id} (204). An expired subscription is
//     gone: 404, and nothing is delivered to it.
//   - Delivery: every change made through the mutation methods (AddUser, SetAccountEnabled, DeleteUser,
//     AddMember, RemoveMember) queues a notification (a permanent delete is "deleted", everything else
//     "updated", membership changes name the group); DeliverNotifications POSTs the queue to each active
//     subscription whose resource and changeType match, one changeNotificationCollection {"value":[…]} per
//     subscription with subscriptionId, clientState, changeType, resource, resourceData {@odata.type,
//     @odata.id, id}, tenantId and subscriptionExpirationDateTime. Graph sends within seconds of the change;
//     the simulator sends when asked so that tests control the moment.
//
// Deviation: Graph requires an https notificationUrl; the simulator also accepts http (loopback test servers).

const (
	// MaxSubscriptionMinutes is Graph's maximum lifetime of a users or groups subscription.
	MaxSubscriptionMinutes = 41760
	validationTimeout      = 10 * time.Second
	deliveryTimeout        = 3 * time.Second
	maxClientState         = 128
)

type subscription struct {
	ID, Resource, ChangeType, NotificationURL, ClientState, ApplicationID string
	Expiration                                                            time.Time
}

func (sub *subscription) json() map[string]any {
	return map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
		"id":             sub.ID, "resource": sub.Resource, "applicationId": sub.ApplicationID,
		"changeType": sub.ChangeType, "clientState": nilIfEmpty(sub.ClientState), "notificationUrl": sub.NotificationURL,
		"expirationDateTime": timeJSON(sub.Expiration), "creatorId": sub.ApplicationID,
		"latestSupportedTlsVersion": "v1_2", "includeResourceData": false, "lifecycleNotificationUrl": nil,
		"notificationQueryOptions": nil, "encryptionCertificate": nil, "encryptionCertificateId": nil,
	}
}

// change is one queued change of the directory.
type change struct {
	kind string // "users" or "groups"
	id   string
	typ  string // "updated" or "deleted"
}

type subscriptions struct {
	mu      sync.Mutex
	byID    map[string]*subscription
	pending []change
}

// notifyChange queues a change notification for a user or group; called from audit with s.mu held.
func (s *Server) notifyChange(targetType, id, activity string) {
	kind := map[string]string{"User": "users", "Group": "groups"}[targetType]
	if kind == "" || id == "" {
		return
	}
	typ := "updated"
	if strings.HasPrefix(activity, "Hard delete") {
		typ = "deleted"
	}
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	s.subs.pending = append(s.subs.pending, change{kind: kind, id: id, typ: typ})
}

func (s *Server) subscriptionRoutes() []route {
	return []route{
		{method: "POST", pattern: "/v1.0/subscriptions", cost: 1, h: s.createSubscription},
		{method: "GET", pattern: "/v1.0/subscriptions", cost: 1, h: s.listSubscriptions},
		{method: "GET", pattern: "/v1.0/subscriptions/{id}", cost: 1, h: s.getSubscription},
		{method: "PATCH", pattern: "/v1.0/subscriptions/{id}", cost: 1, h: s.updateSubscription},
		{method: "DELETE", pattern: "/v1.0/subscriptions/{id}", cost: 1, h: s.deleteSubscription},
	}
}

// subscriptionBody is what POST and PATCH accept.
type subscriptionBody struct {
	ChangeType         *string `json:"changeType"`
	NotificationURL    *string `json:"notificationUrl"`
	Resource           *string `json:"resource"`
	ExpirationDateTime *string `json:"expirationDateTime"`
	ClientState        *string `json:"clientState"`
}

func readSubscriptionBody(r *http.Request) (subscriptionBody, error) {
	var b subscriptionBody
	var body io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") { // kiota compresses request bodies
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return b, graphMessage(fmt.Sprintf("Invalid gzip request body: %v", err))
		}
		defer zr.Close()
		body = zr
	}
	dec := json.NewDecoder(io.LimitReader(body, 64<<10))
	if err := dec.Decode(&b); err != nil {
		return b, graphMessage(fmt.Sprintf("Invalid request body: %v", err))
	}
	return b, nil
}

// checkExpiration applies Graph's limits for directory resources.
func (s *Server) checkExpiration(v *string) (time.Time, error) {
	if v == nil || *v == "" {
		return time.Time{}, graphMessage("expirationDateTime is required.")
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return time.Time{}, graphMessage(fmt.Sprintf("Invalid expirationDateTime %q.", *v))
	}
	now := s.now()
	if !t.After(now) {
		return time.Time{}, graphMessage("Subscription expiration can only be in the future.")
	}
	if t.Sub(now) > MaxSubscriptionMinutes*time.Minute {
		return time.Time{}, graphMessage(fmt.Sprintf("Subscription expiration can only be %d minutes in the future.", MaxSubscriptionMinutes))
	}
	return t.UTC(), nil
}

// resourceKind is "users" or "groups" for a resource path a subscription may watch, with its object id if any.
func resourceKind(res string) (kind, id string, ok bool) {
	res = strings.Trim(res, "/")
	kind, id, _ = strings.Cut(res, "/")
	kind = strings.ToLower(kind)
	if (kind != "users" && kind != "groups") || strings.Contains(id, "/") {
		return "", "", false
	}
	return kind, id, true
}

func validChangeType(ct string) bool {
	if ct == "" {
		return false
	}
	for _, p := range strings.Split(ct, ",") {
		if p != "updated" && p != "deleted" {
			return false
		}
	}
	return true
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request, c *call) {
	b, err := readSubscriptionBody(r)
	if err != nil {
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	res, ct, nu, cs := str(b.Resource), str(b.ChangeType), str(b.NotificationURL), str(b.ClientState)
	kind, _, ok := resourceKind(res)
	switch {
	case !ok:
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, "Invalid resource '"+res+"'.")
		return
	case !validChangeType(ct):
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, "Invalid changeType '"+ct+"': users and groups support updated and deleted.")
		return
	case len(cs) > maxClientState:
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, "clientState can be at most 128 characters.")
		return
	}
	need := rolesUsers
	if kind == "groups" {
		need = rolesGroups
	}
	if !c.grant.hasRole(need...) {
		s.graphError(w, r, http.StatusForbidden, codeDenied, "Insufficient privileges to complete the operation.")
		return
	}
	u, err := url.Parse(nu)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, "Invalid notificationUrl.")
		return
	}
	exp, err := s.checkExpiration(b.ExpirationDateTime)
	if err != nil {
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	if err := s.validateEndpoint(r.Context(), nu); err != nil {
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, "Subscription validation request failed. "+err.Error())
		return
	}
	var rb [16]byte
	_, _ = rand.Read(rb[:])
	h := hex.EncodeToString(rb[:])
	sub := &subscription{ID: h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], Resource: res,
		ChangeType: ct, NotificationURL: nu, ClientState: cs, ApplicationID: c.grant.app.ClientID, Expiration: exp}
	s.subs.mu.Lock()
	if s.subs.byID == nil {
		s.subs.byID = map[string]*subscription{}
	}
	s.subs.byID[sub.ID] = sub
	s.subs.mu.Unlock()
	s.writeSubscription(w, http.StatusCreated, sub)
}

// validateEndpoint makes Graph's validation request and checks the echoed token.
func (s *Server) validateEndpoint(ctx context.Context, notificationURL string) error {
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	token := "Validation: Token-" + hex.EncodeToString(rb[:])
	sep := "?"
	if strings.Contains(notificationURL, "?") {
		sep = "&"
	}
	ctx, cancel := context.WithTimeout(ctx, validationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, notificationURL+sep+"validationToken="+url.QueryEscape(token), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := s.notifyClient().Do(req)
	if err != nil {
		return graphMessage(fmt.Sprintf("The request to %s failed or did not answer within 10 seconds.", req.URL.Host))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return graphMessage(fmt.Sprintf("Response status code does not indicate success: %d.", resp.StatusCode))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		return graphMessage(fmt.Sprintf("The response's content type %q is not text/plain.", ct))
	}
	if string(body) != token {
		return graphMessage("The response did not contain the validation token.")
	}
	return nil
}

func (s *Server) notifyClient() *http.Client {
	if s.opts.NotifyClient != nil {
		return s.opts.NotifyClient
	}
	return http.DefaultClient
}

func (s *Server) writeSubscription(w http.ResponseWriter, status int, sub *subscription) {
	body, _ := json.Marshal(sub.json())
	writeJSON(w, status, body)
}

// liveSubscription returns the app's subscription id if it exists and has not expired; expired ones are dropped.
func (s *Server) liveSubscription(id, app string) *subscription {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	sub := s.subs.byID[id]
	if sub == nil {
		return nil
	}
	if !sub.Expiration.After(s.now()) {
		delete(s.subs.byID, id)
		return nil
	}
	if sub.ApplicationID != app {
		return nil
	}
	return sub
}

func (s *Server) subscriptionNotFound(w http.ResponseWriter, r *http.Request, id string) {
	s.graphError(w, r, http.StatusNotFound, "ResourceNotFound", "The object was not found: subscription "+id+".")
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request, c *call) {
	s.subs.mu.Lock()
	ids := make([]string, 0, len(s.subs.byID))
	for id := range s.subs.byID {
		ids = append(ids, id)
	}
	s.subs.mu.Unlock()
	slices.Sort(ids)
	out := []map[string]any{}
	for _, id := range ids {
		if sub := s.liveSubscription(id, c.grant.app.ClientID); sub != nil {
			m := sub.json()
			delete(m, "@odata.context")
			out = append(out, m)
		}
	}
	body, _ := json.Marshal(map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions", "value": out})
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("id")
	sub := s.liveSubscription(id, c.grant.app.ClientID)
	if sub == nil {
		s.subscriptionNotFound(w, r, id)
		return
	}
	s.subs.mu.Lock()
	cp := *sub
	s.subs.mu.Unlock()
	s.writeSubscription(w, http.StatusOK, &cp)
}

func (s *Server) updateSubscription(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("id")
	b, err := readSubscriptionBody(r)
	if err != nil {
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	if b.ChangeType != nil || b.Resource != nil || b.ClientState != nil {
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, "Only expirationDateTime and notificationUrl can be updated.")
		return
	}
	exp, err := s.checkExpiration(b.ExpirationDateTime)
	if err != nil {
		s.graphError(w, r, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	if sub := s.liveSubscription(id, c.grant.app.ClientID); sub == nil {
		s.subscriptionNotFound(w, r, id)
		return
	}
	if b.NotificationURL != nil {
		if err := s.validateEndpoint(r.Context(), *b.NotificationURL); err != nil {
			s.graphError(w, r, http.StatusBadRequest, codeBadRequest, "Subscription validation request failed. "+err.Error())
			return
		}
	}
	s.subs.mu.Lock()
	sub := s.subs.byID[id]
	if sub == nil {
		s.subs.mu.Unlock()
		s.subscriptionNotFound(w, r, id)
		return
	}
	sub.Expiration = exp
	if b.NotificationURL != nil {
		sub.NotificationURL = *b.NotificationURL
	}
	cp := *sub
	s.subs.mu.Unlock()
	s.writeSubscription(w, http.StatusOK, &cp)
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("id")
	if sub := s.liveSubscription(id, c.grant.app.ClientID); sub == nil {
		s.subscriptionNotFound(w, r, id)
		return
	}
	s.subs.mu.Lock()
	delete(s.subs.byID, id)
	s.subs.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Subscription is a subscription as the tenant holds it (tests inspect expiry and renewal).
type Subscription struct {
	ID, Resource, ChangeType, NotificationURL string
	Expiration                                time.Time
}

// Subscriptions returns the subscriptions not expired, by id.
func (s *Server) Subscriptions() []Subscription {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	var out []Subscription
	for _, sub := range s.subs.byID {
		if sub.Expiration.After(s.now()) {
			out = append(out, Subscription{ID: sub.ID, Resource: sub.Resource, ChangeType: sub.ChangeType,
				NotificationURL: sub.NotificationURL, Expiration: sub.Expiration})
		}
	}
	slices.SortFunc(out, func(a, b Subscription) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// DeliverNotifications sends the queued changes to the active subscriptions they match and empties the queue.
// It returns how many notifications were accepted (2xx) and the first delivery error; a failed delivery is
// not retried.
func (s *Server) DeliverNotifications(ctx context.Context) (int, error) {
	s.subs.mu.Lock()
	pending := s.subs.pending
	s.subs.pending = nil
	now := s.now()
	var subs []subscription
	for id, sub := range s.subs.byID {
		if !sub.Expiration.After(now) {
			delete(s.subs.byID, id)
			continue
		}
		subs = append(subs, *sub)
	}
	s.subs.mu.Unlock()
	slices.SortFunc(subs, func(a, b subscription) int { return strings.Compare(a.ID, b.ID) })
	sent := 0
	var first error
	for _, sub := range subs {
		kind, only, _ := resourceKind(sub.Resource)
		types := strings.Split(sub.ChangeType, ",")
		var value []map[string]any
		for _, ch := range pending {
			if ch.kind != kind || (only != "" && only != ch.id) || !slices.Contains(types, ch.typ) {
				continue
			}
			odataType, path := "#Microsoft.Graph.User", "Users/"+ch.id
			if kind == "groups" {
				odataType, path = "#Microsoft.Graph.Group", "Groups/"+ch.id
			}
			value = append(value, map[string]any{
				"subscriptionId": sub.ID, "clientState": nilIfEmpty(sub.ClientState), "changeType": ch.typ,
				"resource": path, "tenantId": s.tenantID, "subscriptionExpirationDateTime": sub.Expiration.Format("2006-01-02T15:04:05.0000000Z07:00"),
				"resourceData": map[string]any{"@odata.type": odataType, "@odata.id": path, "id": ch.id, "organizationId": s.tenantID},
			})
		}
		if len(value) == 0 {
			continue
		}
		if err := s.post(ctx, sub.NotificationURL, value); err != nil {
			if first == nil {
				first = fmt.Errorf("entrasim deliver to subscription %s: %w", sub.ID, err)
			}
			continue
		}
		sent += len(value)
	}
	return sent, first
}

func (s *Server) post(ctx context.Context, to string, value []map[string]any) error {
	body, _ := json.Marshal(map[string]any{"value": value})
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.notifyClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// graphMessage is an error whose text is Graph's own message, sent verbatim in the error answer (capitalized
// and punctuated as Graph writes it).
type graphMessage string

func (m graphMessage) Error() string { return string(m) }
