package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func transition(change sspm.FindingChange, sev string) sspm.FindingTransition {
	return sspm.FindingTransition{Change: change, ID: 7, Status: sspm.FindingOpen, At: time.Unix(1700000000, 0),
		Finding: sspm.Finding{DedupeKey: "posture:x/R1:global::", Kind: sspm.FindingPosture, RulesetKey: "x", RuleKey: "R1",
			Severity: sev, Title: "Rule <one> & co", Subject: "global"}}
}

func TestWebhookSignsOneAttempt(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t"
	var got []alert.Alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !alert.Verify(secret, r.Header.Get(alert.HeaderTimestamp), r.Header.Get(alert.HeaderSignature), body) {
			t.Errorf("bad signature %q", r.Header.Get(alert.HeaderSignature))
		}
		var a alert.Alert
		if err := json.Unmarshal(body, &a); err != nil {
			t.Error(err)
		}
		if r.Header.Get(alert.HeaderDelivery) != a.ID || r.Header.Get(alert.HeaderEvent) != "finding.opened" {
			t.Errorf("headers %v", r.Header)
		}
		got = append(got, a)
	}))
	defer srv.Close()
	wh, err := alert.NewWebhook(srv.URL+"/hook?token=abc", secret, outbound.Allowing(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Notify(context.Background(), alert.FromTransition(transition(sspm.ChangeOpened, "high"))); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Severity != "high" || got[0].FindingID != 7 || got[0].ID != "7:opened:0:high" {
		t.Fatalf("got %+v", got)
	}
}

// Failures are classified for the outbox: 5xx and 429 are retried (with Retry-After), other 4xx are permanent,
// and no error carries the URL's path or query.
func TestWebhookClassifiesFailuresAndHidesURL(t *testing.T) {
	t.Parallel()
	status, retryAfter := http.StatusServiceUnavailable, ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	wh, _ := alert.NewWebhook(srv.URL+"/secret-path?token=abc", "k", outbound.Allowing(srv.URL))
	a := alert.FromTransition(transition(sspm.ChangeOpened, "high"))
	for _, tt := range []struct {
		status     int
		retryAfter string
		permanent  bool
	}{
		{http.StatusServiceUnavailable, "", false},
		{http.StatusTooManyRequests, "7", false},
		{http.StatusRequestTimeout, "", false},
		{http.StatusBadRequest, "", true},
		{http.StatusNotFound, "", true},
	} {
		status, retryAfter = tt.status, tt.retryAfter
		err := wh.Notify(context.Background(), a)
		if err == nil || alert.IsPermanent(err) != tt.permanent || strings.Contains(err.Error(), "secret-path") || strings.Contains(err.Error(), "abc") {
			t.Errorf("status %d: err %v (permanent %v), want permanent %v without the path", tt.status, err, alert.IsPermanent(err), tt.permanent)
		}
	}
	// connection refused: retried, and the path never shows
	wh, _ = alert.NewWebhook("http://127.0.0.1:1/secret-path", "k", outbound.Allowing("127.0.0.1:1"))
	err := wh.Notify(context.Background(), a)
	if err == nil || alert.IsPermanent(err) || strings.Contains(err.Error(), "secret-path") {
		t.Fatalf("err = %v", err)
	}
}

func TestSlackPostsTextAndBlocks(t *testing.T) {
	t.Parallel()
	var bodies []map[string]any
	fail := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Error(err)
		}
		bodies = append(bodies, m)
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	s, err := alert.NewSlack(srv.URL+"/services/T000/B000/XXXXSECRET", outbound.Allowing(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.Name(), "XXXXSECRET") {
		t.Fatalf("name %q shows the webhook's path", s.Name())
	}
	tr := transition(sspm.ChangeEscalated, "critical")
	tr.PreviousSeverity = "medium"
	a := alert.FromTransition(tr)
	a.URL = alert.FindingURL("https://sspm.example.com/", a.FindingID)
	err = s.Notify(context.Background(), a)
	if err == nil || alert.IsPermanent(err) || strings.Contains(err.Error(), "XXXXSECRET") {
		t.Fatalf("500: err %v, want a retryable error without the URL's path", err)
	}
	fail = false
	if err := s.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 1 {
		t.Fatalf("bodies %v", bodies)
	}
	raw, _ := json.Marshal(bodies[0])
	got := string(raw)
	for _, want := range []string{
		`"text":"[CRITICAL] Finding escalated: Rule \u003cone\u003e \u0026 co (global)"`,
		`"type":"header"`, `CRITICAL: finding escalated`,
		`*\u003chttps://sspm.example.com/findings/7|Rule \u0026lt;one\u0026gt; \u0026amp; co\u003e*\nglobal`, // escaped mrkdwn
		`*Severity*\nmedium → critical`, `*Rule*\nx / R1`, `*Change*\nescalated`,
		`View the finding in Open-SSPM`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("message lacks %s:\n%s", want, got)
		}
	}
	// Without a base URL there is no link.
	a.URL = ""
	if raw, _ := json.Marshal(alert.SlackMessage(a)); strings.Contains(string(raw), "View the finding") || strings.Contains(string(raw), "https://") {
		t.Errorf("message without URL links: %s", raw)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	const arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:slack-AbCdEf"
	ok := []struct {
		name   string
		getenv func(string) string
		routes []alert.Route
	}{
		{"none", env(), nil},
		{"slack and webhook", env("ALERT_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/x", "ALERT_SLACK_MIN_SEVERITY", "HIGH",
			"ALERT_WEBHOOK_URL", "http://127.0.0.1:9000/hook", "ALERT_WEBHOOK_SECRET", "k", "ALERT_BASE_URL", "https://sspm.example.com/"),
			[]alert.Route{{Destination: "slack", MinSeverity: "high"}, {Destination: "webhook"}}},
		{"aws", env("ALERT_SLACK_WEBHOOK_SECRET_ARN", arn, "ALERT_SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts", "ALERT_SNS_MIN_SEVERITY", "medium"),
			[]alert.Route{{Destination: "slack"}, {Destination: "sns", MinSeverity: "medium"}}},
	}
	for _, tt := range ok {
		c, err := alert.ConfigFromEnv(tt.getenv)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := c.Routes(); len(got) != len(tt.routes) || (len(got) > 0 && got[0] != tt.routes[0]) || (len(got) > 1 && got[1] != tt.routes[1]) {
			t.Errorf("%s: routes %+v, want %+v", tt.name, got, tt.routes)
		}
	}
	bad := []struct {
		getenv func(string) string
		want   string
	}{
		{env("ALERT_SLACK_WEBHOOK_URL", "http://hooks.slack.com/services/T/B/secretpart"), "want https"},
		{env("ALERT_WEBHOOK_URL", "ftp://x"), "ALERT_WEBHOOK_URL"},
		{env("ALERT_WEBHOOK_URL", "https://x.example", "ALERT_WEBHOOK_MIN_SEVERITY", "urgent"), "ALERT_WEBHOOK_MIN_SEVERITY \"urgent\": want one of info, low, medium, high, critical"},
		{env("ALERT_SLACK_MIN_SEVERITY", "high"), "without ALERT_SLACK_WEBHOOK_URL"},
		{env("ALERT_WEBHOOK_SECRET", "k"), "without ALERT_WEBHOOK_URL"},
		{env("ALERT_SNS_TOPIC_ARN", "my-topic"), "not an ARN of sns"},
		{env("ALERT_SLACK_WEBHOOK_URL", "https://a.example", "ALERT_SLACK_WEBHOOK_SECRET_ARN", arn), "not both"},
		{env("ALERT_BASE_URL", "sspm.example.com"), "ALERT_BASE_URL"},
	}
	for _, tt := range bad {
		_, err := alert.ConfigFromEnv(tt.getenv)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secretpart") {
			t.Errorf("err %v, want one containing %q (and no secret)", err, tt.want)
		}
	}
	withSecrets := alert.Config{SlackURL: "https://hooks.slack.com/services/T/B/slack-secret", WebhookURL: "https://h.example/x", WebhookSecret: "signing-secret", WebhookMinSeverity: "high"}
	if s := fmt.Sprintf("%v %+v", withSecrets, struct{ C alert.Config }{withSecrets}); strings.Contains(s, "secret") || !strings.Contains(s, "webhook(high)") {
		t.Errorf("printed config %q", s)
	}
	c, _ := alert.ConfigFromEnv(env("ALERT_SLACK_WEBHOOK_SECRET_ARN", arn, "ALERT_SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts"))
	if err := c.LocalOnly(); err == nil || !strings.Contains(err.Error(), "ALERT_SNS_TOPIC_ARN") || !strings.Contains(err.Error(), "ALERT_SLACK_WEBHOOK_SECRET_ARN") {
		t.Errorf("LocalOnly = %v", err)
	}
}

// Notifiers reads secrets by ARN; a destination whose secret is unusable is left out and the others are built.
func TestNotifiersReadSecrets(t *testing.T) {
	t.Parallel()
	const slackARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:slack-AbCdEf"
	const hookARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:hook-AbCdEf"
	c := alert.Config{SlackURLSecretARN: slackARN, WebhookURL: "https://hooks.example.com/x", WebhookSecretARN: hookARN}
	secrets := map[string]string{slackARN: "http://hooks.slack.com/services/T/B/notsecure", hookARN: "signing-key"}
	read := func(_ context.Context, arn string) (string, error) {
		v, ok := secrets[arn]
		if !ok {
			return "", errors.New("ResourceNotFoundException")
		}
		return v, nil
	}
	ns, err := c.Notifiers(context.Background(), read)
	if err == nil || !strings.Contains(err.Error(), "does not hold an https URL") || strings.Contains(err.Error(), "notsecure") {
		t.Fatalf("err %v, want the Slack secret rejected without showing it", err)
	}
	if _, ok := ns["webhook"]; !ok || len(ns) != 1 {
		t.Fatalf("notifiers %v, want the webhook only", ns)
	}
	if wh := ns["webhook"].(*alert.Webhook); wh.Secret != "signing-key" {
		t.Fatalf("webhook secret not read from the ARN")
	}
	secrets[slackARN] = "https://hooks.slack.com/services/T/B/ok"
	if ns, err = c.Notifiers(context.Background(), read); err != nil || len(ns) != 2 {
		t.Fatalf("notifiers %v, %v", ns, err)
	}
}

// memStore is an in-memory alert.Store for the enqueue side.
type memStore struct {
	mu      sync.Mutex
	entries []alert.Entry
}

func (m *memStore) EnqueueAlerts(_ context.Context, es []alert.Entry) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, es...)
	return int64(len(es)), nil
}
func (m *memStore) ExpireAlerts(context.Context, []string, int) (int64, error) { return 0, nil }
func (m *memStore) ClaimAlerts(context.Context, alert.Claim) ([]alert.Delivery, error) {
	return nil, nil
}
func (m *memStore) AlertDelivered(context.Context, int64, string) error { return nil }
func (m *memStore) AlertFailed(context.Context, int64, string, time.Duration, bool, string) error {
	return nil
}
func (m *memStore) ReleaseAlert(context.Context, int64, string) error     { return nil }
func (m *memStore) PruneAlerts(context.Context, time.Time) (int64, error) { return 0, nil }

func TestOutboxRoutesBySeverityAndNotifyOnlyWakes(t *testing.T) {
	t.Parallel()
	st := &memStore{}
	woken := 0
	o := &alert.Outbox{Store: st, Routes: []alert.Route{{Destination: "slack", MinSeverity: "high"}, {Destination: "webhook"}},
		OnEnqueue: func() { woken++ }}
	ts := []sspm.FindingTransition{transition(sspm.ChangeOpened, "medium"), transition(sspm.ChangeEscalated, "critical")}
	var got []string
	for _, e := range o.Entries(ts) {
		got = append(got, e.Destination+"/"+e.Alert.Severity)
	}
	if strings.Join(got, ",") != "webhook/medium,slack/critical,webhook/critical" {
		t.Fatalf("entries %v", got)
	}
	// The store enqueued the alerts with the state changes: the hand-off wakes the deliverer once and inserts
	// nothing.
	o.NotifyTransitions(ts)
	if len(st.entries) != 0 || woken != 1 {
		t.Fatalf("notify enqueued %v (woken %d), want no rows and one wake", st.entries, woken)
	}
	// No route takes an info alert when every route has a minimum: nothing to wake for.
	o.Routes = []alert.Route{{Destination: "slack", MinSeverity: "high"}}
	o.NotifyTransitions([]sspm.FindingTransition{transition(sspm.ChangeOpened, "info")})
	if woken != 1 {
		t.Fatalf("woken %d for an alert no route takes", woken)
	}
}
