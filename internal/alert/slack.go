package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/open-sspm/open-sspm/internal/outbound"
)

// Slack posts each alert to a Slack incoming webhook: a plain-text summary (`text`, for notifications) and
// simple Block Kit blocks (title and subject, then severity, change, rule and connector, and a link to the
// finding when the alert has one). One Notify is one attempt, classified as Webhook's. The webhook URL is a
// secret: it is never logged or put in errors.
type Slack struct {
	URL    string
	policy *outbound.Policy
}

// NewSlack returns a Slack destination; the URL must be https (http only to a loopback address). Deliveries
// go through p (nil means outbound.Strict()): only to the URL's host, never redirected to another.
func NewSlack(rawURL string, p *outbound.Policy) (*Slack, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, fmt.Errorf("alert slack webhook: %w", err)
	}
	return &Slack{URL: rawURL, policy: orStrict(p)}, nil
}

// Name is "slack" and the webhook's host.
func (s *Slack) Name() string { return "slack " + hostOf(s.URL) }

// Notify makes one POST of a's message.
func (s *Slack) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(SlackMessage(a))
	if err != nil {
		return Permanent(fmt.Errorf("encode slack message: %w", err))
	}
	return postJSON(ctx, s.policy, s.URL, body, nil)
}

// SlackPayload is what an incoming webhook receives.
type SlackPayload struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is a Block Kit block of the kinds used here (header, section, context).
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Fields   []SlackText `json:"fields,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object (plain_text or mrkdwn).
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// SlackMessage renders an alert as a Slack message.
func SlackMessage(a Alert) SlackPayload {
	verb := a.Change // opened, reopened, escalated
	sev := strings.ToUpper(a.Severity)
	summary := fmt.Sprintf("[%s] Finding %s: %s", sev, verb, a.Title)
	if a.Subject != "" {
		summary += " (" + a.Subject + ")"
	}
	title := "*" + slackEscape(truncate(a.Title, 250)) + "*"
	if a.URL != "" {
		title = "*<" + a.URL + "|" + slackEscape(truncate(a.Title, 250)) + ">*"
	}
	if a.Subject != "" {
		title += "\n" + slackEscape(truncate(a.Subject, 500))
	}
	severity := a.Severity
	if a.PreviousSeverity != "" && a.PreviousSeverity != a.Severity {
		severity = a.PreviousSeverity + " → " + a.Severity
	}
	rule := a.RuleKey
	if a.RulesetKey != "" {
		rule = a.RulesetKey + " / " + a.RuleKey
	}
	fields := []SlackText{
		mrkdwn("*Severity*\n" + slackEscape(severity)),
		mrkdwn("*Change*\n" + slackEscape(verb)),
		mrkdwn("*Rule*\n" + slackEscape(truncate(rule, 1900))),
	}
	if a.ConnectorID != "" {
		fields = append(fields, mrkdwn("*Connector*\n"+slackEscape(truncate(a.ConnectorID, 1900))))
	}
	blocks := []SlackBlock{
		{Type: "header", Text: &SlackText{Type: "plain_text", Text: truncate(sev+": finding "+verb, 150)}},
		{Type: "section", Text: ptr(mrkdwn(truncate(title, 3000)))},
		{Type: "section", Fields: fields},
	}
	if a.URL != "" {
		blocks = append(blocks, SlackBlock{Type: "context", Elements: []SlackText{mrkdwn("<" + a.URL + "|View the finding in Open-SSPM>")}})
	}
	return SlackPayload{Text: truncate(summary, 3000), Blocks: blocks}
}

func mrkdwn(s string) SlackText { return SlackText{Type: "mrkdwn", Text: s} }

func ptr[T any](v T) *T { return &v }

// slackEscape escapes the characters Slack's mrkdwn gives meaning to (&, <, >).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
