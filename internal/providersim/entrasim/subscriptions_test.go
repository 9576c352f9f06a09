package entrasim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a notification endpoint: it echoes validation tokens (unless refuse) and records deliveries.
type receiver struct {
	mu         sync.Mutex
	refuse     bool
	validated  int
	deliveries []map[string]any
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if tok := r.URL.Query().Get("validationToken"); tok != "" {
		rc.validated++
		if rc.refuse {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, tok)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	rc.deliveries = append(rc.deliveries, m)
	w.WriteHeader(http.StatusAccepted)
}

func graphCall(t *testing.T, s *Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

func TestSubscriptionLifecycle(t *testing.T) {
	s, clk := newServer(t, Options{})
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	exp := func(d time.Duration) string { return clk.Now().Add(d).Format(time.RFC3339) }
	sub := func(res, ct string, d time.Duration) map[string]any {
		return map[string]any{"changeType": ct, "notificationUrl": hook.URL + "/hooks?s=1", "resource": res,
			"expirationDateTime": exp(d), "clientState": "state-1"}
	}
	bad := []struct {
		name string
		body map[string]any
	}{
		{"created is not supported", sub("users", "created", time.Hour)},
		{"beyond the maximum", sub("users", "updated", (MaxSubscriptionMinutes+1)*time.Minute)},
		{"in the past", sub("users", "updated", -time.Minute)},
		{"other resource", sub("me/messages", "updated", time.Hour)},
	}
	for _, tc := range bad {
		if st, body := graphCall(t, s, "POST", "/v1.0/subscriptions", tc.body); st != 400 {
			t.Errorf("%s: %d %v, want 400", tc.name, st, body)
		}
	}
	rc.refuse = true
	if st, body := graphCall(t, s, "POST", "/v1.0/subscriptions", sub("users", "updated", time.Hour)); st != 400 ||
		!strings.Contains(graphCode(body)+body["error"].(map[string]any)["message"].(string), "validation") {
		t.Fatalf("refused validation: %d %v", st, body)
	}
	rc.refuse = false
	st, users := graphCall(t, s, "POST", "/v1.0/subscriptions", sub("users", "updated,deleted", MaxSubscriptionMinutes*time.Minute))
	if st != 201 || users["id"] == "" || users["clientState"] != "state-1" {
		t.Fatalf("create: %d %v", st, users)
	}
	st, groups := graphCall(t, s, "POST", "/v1.0/subscriptions", sub("groups", "updated", time.Hour))
	if st != 201 || rc.validated != 3 {
		t.Fatalf("create groups: %d, %d validations", st, rc.validated)
	}
	if st, list := graphCall(t, s, "GET", "/v1.0/subscriptions", nil); st != 200 || len(list["value"].([]any)) != 2 {
		t.Fatalf("list: %d %v", st, list)
	}

	uid, gid := s.UserIDs()[2], s.GroupIDs()[1]
	if err := s.SetAccountEnabled(uid, false); err != nil {
		t.Fatal(err)
	}
	newID, err := s.AddUser(NewUser{DisplayName: "New", UserPrincipalName: "new@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(gid, newID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(s.UserIDs()[7], true); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeliverNotifications(context.Background())
	// users: uid, the new user, the hard-deleted user (updated, then deleted); groups: gid's new member.
	if err != nil || n != 5 || len(rc.deliveries) != 2 {
		t.Fatalf("delivered %d in %d posts, %v", n, len(rc.deliveries), err)
	}
	first := rc.deliveries[0]["value"].([]any)[0].(map[string]any)
	for _, k := range []string{"subscriptionId", "clientState", "changeType", "resource", "resourceData", "tenantId", "subscriptionExpirationDateTime"} {
		if first[k] == nil {
			t.Errorf("notification lacks %s: %v", k, first)
		}
	}
	var sawDeleted, sawUser, sawGroup bool
	for _, d := range rc.deliveries {
		for _, v := range d["value"].([]any) {
			m := v.(map[string]any)
			id := m["resourceData"].(map[string]any)["id"]
			sawDeleted = sawDeleted || m["changeType"] == "deleted"
			sawUser = sawUser || (id == uid && m["subscriptionId"] == users["id"])
			sawGroup = sawGroup || (id == gid && m["subscriptionId"] == groups["id"])
			if m["subscriptionId"] == groups["id"] && m["changeType"] != "updated" {
				t.Errorf("groups subscription (updated only) got %v", m)
			}
		}
	}
	if !sawDeleted || !sawUser || !sawGroup {
		t.Errorf("deleted %v, user %v, group %v", sawDeleted, sawUser, sawGroup)
	}

	// Renewal keeps the subscription past its first expiry; the one not renewed expires.
	id := users["id"].(string)
	clk.Advance(50 * time.Minute)
	if st, body := graphCall(t, s, "PATCH", "/v1.0/subscriptions/"+id, map[string]any{"expirationDateTime": exp(MaxSubscriptionMinutes*time.Minute + time.Minute)}); st != 400 {
		t.Fatalf("renew beyond maximum: %d %v", st, body)
	}
	if st, body := graphCall(t, s, "PATCH", "/v1.0/subscriptions/"+id, map[string]any{"expirationDateTime": exp(48 * time.Hour)}); st != 200 {
		t.Fatalf("renew: %d %v", st, body)
	}
	clk.Advance(20 * time.Minute)
	if st, _ := graphCall(t, s, "GET", "/v1.0/subscriptions/"+groups["id"].(string), nil); st != 404 {
		t.Fatalf("expired subscription: %d, want 404", st)
	}
	if got := s.Subscriptions(); len(got) != 1 || got[0].ID != id {
		t.Fatalf("subscriptions %+v", got)
	}
	if st, _ := graphCall(t, s, "DELETE", "/v1.0/subscriptions/"+id, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := graphCall(t, s, "GET", "/v1.0/subscriptions/"+id, nil); st != 404 {
		t.Fatalf("deleted subscription: %d", st)
	}
}
