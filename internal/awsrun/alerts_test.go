package awsrun_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/awsrun/smfake"
	"github.com/open-sspm/open-sspm/internal/awssns/snsfake"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// slackHook is a Slack incoming webhook that fails while down is set.
type slackHook struct {
	down atomic.Bool
	mu   sync.Mutex
	got  []alert.SlackPayload
	srv  *httptest.Server
}

func newSlackHook(t *testing.T) *slackHook {
	h := &slackHook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var p alert.SlackPayload
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err != nil || p.Text == "" || len(p.Blocks) == 0 {
			t.Errorf("slack payload %s (%v)", body, err)
		}
		h.mu.Lock()
		h.got = append(h.got, p)
		h.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *slackHook) received() []alert.SlackPayload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]alert.SlackPayload(nil), h.got...)
}

// The evaluator function enqueues the alerts of the findings it opens and delivers them after the evaluation:
// SNS (read from ALERT_SNS_TOPIC_ARN) at once; Slack (its URL read from Secrets Manager) fails, which fails
// neither the evaluation nor the other destination. After Slack recovers, a new execution environment (a
// restarted function, a fresh deliverer) delivers the waiting alerts on the scheduled sweep.
func TestEvaluatorDeliversAlertsDespiteAFailingDestination(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.provider.admins = true // three admins without MFA: three identity findings
	sns := snsfake.NewServer()
	t.Cleanup(sns.Close)
	topic := sns.CreateTopic("open-sspm-finding-alerts")
	sm := smfake.NewServer()
	t.Cleanup(sm.Close)
	slack := newSlackHook(t)
	slack.down.Store(true)
	slackSecret := slack.srv.URL + "/services/T000/B000/slack-token-value"
	slackARN := sm.Put("open-sspm/slack-webhook", slackSecret)
	e.clients.SNS, e.clients.SecretsManager = sns.Client(), sm.Client()
	logs := &lockedBuffer{}
	alerting := func(c *awsrun.Config) {
		// The Slack stand-in listens on a loopback address, which the operator allows as a private network.
		c.Alerts = alert.Config{SlackURLSecretARN: slackARN, SNSTopicARN: topic, BaseURL: "https://sspm.example.com", AllowedPrivateNetworks: "127.0.0.0/8"}
		c.LogLevel = "info"
	}
	cfg := e.cfg
	alerting(&cfg)
	rt, err := awsrun.New(context.Background(), cfg, awsrun.Deps{Clients: e.clients, Registry: connector.NewRegistry(e.provider.kind()), Metrics: e.metrics, Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)

	inv := sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1", Trigger: sspm.TriggerManual}
	if out, err := rt.Sync(t.Context(), inv); err != nil || out.Outcome != "succeeded" {
		t.Fatalf("sync: %+v %v", out, err)
	}
	rep, err := rt.Evaluate(t.Context(), awsrun.EvaluateInput{Invocation: sspm.Invocation{Lane: sspm.LaneEvaluator, ConnectorID: "t1", Trigger: sspm.TriggerManual}})
	if err != nil {
		t.Fatalf("evaluation failed with Slack down: %v", err)
	}
	var opened int // findings opened: one alert each
	if err := rt.DB.Pool().QueryRow(t.Context(), `SELECT count(*) FROM findings`).Scan(&opened); err != nil || opened == 0 {
		t.Fatalf("the evaluation opened no finding (%v): %+v", err, rep)
	}
	if got := len(sns.Messages(topic)); got != opened {
		t.Fatalf("SNS got %d messages, want one per opened finding (%d)", got, opened)
	}
	if got := len(slack.received()); got != 0 {
		t.Fatalf("slack got %d messages while down", got)
	}
	if retried, _ := e.metrics.sum(t, "AlertsRetried"); int(retried) != opened {
		t.Fatalf("AlertsRetried = %v, want %d", retried, opened)
	}

	// Slack recovers; a new execution environment picks the alerts up on the sweep once their back-off passed.
	slack.down.Store(false)
	rt2 := e.newRuntime(t, alerting)
	if _, err := rt2.DB.Pool().Exec(t.Context(), `UPDATE alert_outbox SET next_attempt_at = now() WHERE state = 'pending'`); err != nil {
		t.Fatal(err)
	}
	if _, err := rt2.Evaluate(t.Context(), awsrun.EvaluateInput{Sweep: true}); err != nil {
		t.Fatal(err)
	}
	got := slack.received()
	if len(got) != opened {
		t.Fatalf("slack got %d messages after recovering, want %d", len(got), opened)
	}
	if !strings.Contains(got[0].Text, "Finding opened") || !strings.Contains(mustJSON(t, got[0]), "https://sspm.example.com/findings/") {
		t.Errorf("slack message %s", mustJSON(t, got[0]))
	}
	if len(sns.Messages(topic)) != opened {
		t.Errorf("SNS got the alerts again: %d messages", len(sns.Messages(topic)))
	}
	cs, err := rt2.DB.AlertOutboxCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.State != "delivered" {
			t.Errorf("outbox: %d %s rows of %s", c.Rows, c.State, c.Destination)
		}
	}
	if delivered, _ := e.metrics.sum(t, "AlertsDelivered"); int(delivered) != 2*opened {
		t.Errorf("AlertsDelivered = %v, want %d", delivered, 2*opened)
	}
	if strings.Contains(logs.buf.String(), "slack-token-value") {
		t.Errorf("the Slack webhook URL was logged")
	}
	if !strings.Contains(logs.buf.String(), "will retry") {
		t.Errorf("the failed delivery was not logged:\n%s", logs.buf.String())
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
