package awssns_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/awssns"
	"github.com/open-sspm/open-sspm/internal/awssns/snsfake"
)

func testAlert() alert.Alert {
	return alert.Alert{ID: "7:escalated:0:critical", Change: "escalated", FindingID: 7, DedupeKey: "posture:x/R1:global::",
		Kind: "posture", Status: "open", Severity: "critical", PreviousSeverity: "high", Title: "Admins without MFA — 3 of them",
		Subject: "global", RulesetKey: "x", RuleKey: "R1", At: time.Unix(1700000000, 0).UTC(), URL: "https://sspm.example.com/findings/7"}
}

// The notifier publishes the alert's JSON with a subject and filterable attributes through the real SDK client.
func TestNotifierPublishes(t *testing.T) {
	srv := snsfake.NewServer()
	t.Cleanup(srv.Close)
	topic := srv.CreateTopic("open-sspm-alerts")
	n := awssns.New(srv.Client(), topic)
	if n.Name() != "sns open-sspm-alerts" {
		t.Fatalf("name %q", n.Name())
	}
	a := testAlert()
	if err := n.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(topic)
	if len(msgs) != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	m := msgs[0]
	var got alert.Alert
	if err := json.Unmarshal([]byte(m.Message), &got); err != nil || got != a {
		t.Fatalf("message %s (%v), want the alert", m.Message, err)
	}
	if m.Subject != "Open-SSPM CRITICAL finding escalated: Admins without MFA ? 3 of them" {
		t.Errorf("subject %q", m.Subject)
	}
	want := map[string]snsfake.Attribute{
		"severity": {DataType: "String", StringValue: "critical"}, "severity_rank": {DataType: "Number", StringValue: "5"},
		"change": {DataType: "String", StringValue: "escalated"}, "kind": {DataType: "String", StringValue: "posture"},
		"ruleset": {DataType: "String", StringValue: "x"}, "rule": {DataType: "String", StringValue: "R1"},
	}
	if len(m.Attributes) != len(want) {
		t.Errorf("attributes %v, want %v", m.Attributes, want)
	}
	for k, v := range want {
		if g := m.Attributes[k]; g.DataType != v.DataType || g.StringValue != v.StringValue {
			t.Errorf("attribute %s = %+v, want %+v", k, g, v)
		}
	}

	long := a
	long.Title = strings.Repeat("x", 300) + "\n"
	if s := awssns.Subject(long); len(s) != 100 {
		t.Errorf("subject of %d characters", len(s))
	}
}

// On a FIFO topic the alert id de-duplicates: a repeated delivery (after a lost acknowledgement) is one message.
func TestNotifierFIFOTopic(t *testing.T) {
	srv := snsfake.NewServer()
	t.Cleanup(srv.Close)
	topic := srv.CreateTopic("alerts.fifo")
	n := awssns.New(srv.Client(), topic)
	for range 2 {
		if err := n.Notify(context.Background(), testAlert()); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := srv.Messages(topic); len(msgs) != 1 || msgs[0].MessageGroupID == "" || len(msgs[0].MessageDeduplicationID) != 64 {
		t.Fatalf("messages %+v", msgs)
	}
}

// A topic that does not exist is a permanent failure; throttling and server errors are retried by the outbox.
func TestNotifierClassifiesErrors(t *testing.T) {
	srv := snsfake.NewServer()
	t.Cleanup(srv.Close)
	topic := srv.CreateTopic("alerts")
	err := awssns.New(srv.Client(), strings.TrimSuffix(topic, "alerts")+"gone").Notify(context.Background(), testAlert())
	if err == nil || !alert.IsPermanent(err) || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("missing topic: %v (permanent %v)", err, alert.IsPermanent(err))
	}
	n := awssns.New(srv.Client(), topic)
	for _, f := range []struct {
		status int
		code   string
	}{{http.StatusBadRequest, "Throttling"}, {http.StatusInternalServerError, "InternalError"}, {http.StatusForbidden, "AuthorizationError"}} {
		srv.FailNext("Publish", f.status, f.code, "try later")
		if err := n.Notify(context.Background(), testAlert()); err == nil || alert.IsPermanent(err) {
			t.Errorf("%s: %v, want a retryable error", f.code, err)
		}
	}
	if err := n.Notify(context.Background(), testAlert()); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
}
