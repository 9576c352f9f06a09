package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Config names the alert destinations, from environment variables (ConfigFromEnv). Secrets (the Slack webhook
// URL, the webhook signing secret) come either from the environment or, on AWS, from Secrets Manager by ARN.
type Config struct {
	// BaseURL (ALERT_BASE_URL) is the admin UI's address; alerts link to <BaseURL>/findings/<id>.
	BaseURL string

	// Slack incoming webhook: ALERT_SLACK_WEBHOOK_URL, or ALERT_SLACK_WEBHOOK_SECRET_ARN (a secret whose
	// string is the URL); ALERT_SLACK_MIN_SEVERITY.
	SlackURL          string
	SlackURLSecretARN string
	SlackMinSeverity  string

	// Signed generic webhook: ALERT_WEBHOOK_URL, signed with ALERT_WEBHOOK_SECRET or the string of the secret
	// ALERT_WEBHOOK_SECRET_ARN; ALERT_WEBHOOK_MIN_SEVERITY.
	WebhookURL         string
	WebhookSecret      string
	WebhookSecretARN   string
	WebhookMinSeverity string

	// SNS topic (AWS only): ALERT_SNS_TOPIC_ARN, ALERT_SNS_MIN_SEVERITY.
	SNSTopicARN    string
	SNSMinSeverity string

	// AllowedPrivateNetworks (OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS, comma-separated CIDRs): the Slack and webhook
	// deliveries reach public addresses only, and these private networks (a receiver inside the VPC or on
	// loopback).
	AllowedPrivateNetworks string
}

// String describes the configuration without its secrets (the Slack URL, the webhook secret): fmt and slog
// print this instead of the fields.
func (c Config) String() string {
	var parts []string
	for _, r := range c.Routes() {
		min := r.MinSeverity
		if min == "" {
			min = "all"
		}
		parts = append(parts, r.Destination+"("+min+")")
	}
	if len(parts) == 0 {
		return "no alert destinations"
	}
	return "alerts to " + strings.Join(parts, ", ")
}

// LogValue logs the String form.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ConfigFromEnv reads the alert configuration through getenv and validates it: URLs must be https (http only
// to a loopback address), severities known, ARNs well-formed, and every setting needs its destination.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := Config{
		BaseURL:            strings.TrimRight(get("ALERT_BASE_URL"), "/"),
		SlackURL:           get("ALERT_SLACK_WEBHOOK_URL"),
		SlackURLSecretARN:  get("ALERT_SLACK_WEBHOOK_SECRET_ARN"),
		SlackMinSeverity:   strings.ToLower(get("ALERT_SLACK_MIN_SEVERITY")),
		WebhookURL:         get("ALERT_WEBHOOK_URL"),
		WebhookSecret:      getenv("ALERT_WEBHOOK_SECRET"),
		WebhookSecretARN:   get("ALERT_WEBHOOK_SECRET_ARN"),
		WebhookMinSeverity: strings.ToLower(get("ALERT_WEBHOOK_MIN_SEVERITY")),
		SNSTopicARN:        get("ALERT_SNS_TOPIC_ARN"),
		SNSMinSeverity:     strings.ToLower(get("ALERT_SNS_MIN_SEVERITY")),
	}
	c.AllowedPrivateNetworks = get(outbound.EnvAllowedNetworks)
	return c, c.Validate()
}

// Validate checks the configuration (see ConfigFromEnv). Errors never include a secret.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, err := outbound.ParseNetworks(c.AllowedPrivateNetworks); err != nil {
		bad("%s: %v", outbound.EnvAllowedNetworks, err)
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("ALERT_BASE_URL: want the admin UI's absolute http(s) URL, such as https://sspm.example.com")
		}
	}
	for _, s := range []struct{ name, value string }{
		{"ALERT_SLACK_MIN_SEVERITY", c.SlackMinSeverity},
		{"ALERT_WEBHOOK_MIN_SEVERITY", c.WebhookMinSeverity},
		{"ALERT_SNS_MIN_SEVERITY", c.SNSMinSeverity},
	} {
		if s.value != "" && sspm.SeverityRank(s.value) == 0 {
			bad("%s %q: want one of %s", s.name, s.value, strings.Join(sspm.Severities, ", "))
		}
	}

	switch {
	case c.SlackURL != "" && c.SlackURLSecretARN != "":
		bad("set ALERT_SLACK_WEBHOOK_URL or ALERT_SLACK_WEBHOOK_SECRET_ARN, not both")
	case c.SlackURL != "":
		if err := checkURL(c.SlackURL); err != nil {
			bad("ALERT_SLACK_WEBHOOK_URL: %v", err)
		}
	case c.SlackURLSecretARN != "":
		if err := checkARN(c.SlackURLSecretARN, "secretsmanager"); err != nil {
			bad("ALERT_SLACK_WEBHOOK_SECRET_ARN: %v", err)
		}
	case c.SlackMinSeverity != "":
		bad("ALERT_SLACK_MIN_SEVERITY is set without ALERT_SLACK_WEBHOOK_URL or ALERT_SLACK_WEBHOOK_SECRET_ARN")
	}

	if c.WebhookURL != "" {
		if err := checkURL(c.WebhookURL); err != nil {
			bad("ALERT_WEBHOOK_URL: %v", err)
		}
	} else if c.WebhookSecret != "" || c.WebhookSecretARN != "" || c.WebhookMinSeverity != "" {
		bad("ALERT_WEBHOOK_SECRET, ALERT_WEBHOOK_SECRET_ARN or ALERT_WEBHOOK_MIN_SEVERITY is set without ALERT_WEBHOOK_URL")
	}
	if c.WebhookSecret != "" && c.WebhookSecretARN != "" {
		bad("set ALERT_WEBHOOK_SECRET or ALERT_WEBHOOK_SECRET_ARN, not both")
	}
	if c.WebhookSecretARN != "" {
		if err := checkARN(c.WebhookSecretARN, "secretsmanager"); err != nil {
			bad("ALERT_WEBHOOK_SECRET_ARN: %v", err)
		}
	}

	if c.SNSTopicARN != "" {
		if err := checkARN(c.SNSTopicARN, "sns"); err != nil {
			bad("ALERT_SNS_TOPIC_ARN: %v", err)
		}
	} else if c.SNSMinSeverity != "" {
		bad("ALERT_SNS_MIN_SEVERITY is set without ALERT_SNS_TOPIC_ARN")
	}
	return errors.Join(errs...)
}

// LocalOnly reports the settings the local runtime cannot use: SNS and secrets in Secrets Manager are for the
// AWS deployment.
func (c Config) LocalOnly() error {
	var errs []error
	if c.SNSTopicARN != "" {
		errs = append(errs, errors.New("ALERT_SNS_TOPIC_ARN: SNS alerts are sent by the AWS deployment only; unset it locally"))
	}
	if c.SlackURLSecretARN != "" {
		errs = append(errs, errors.New("ALERT_SLACK_WEBHOOK_SECRET_ARN: Secrets Manager is read on AWS only; set ALERT_SLACK_WEBHOOK_URL locally"))
	}
	if c.WebhookSecretARN != "" {
		errs = append(errs, errors.New("ALERT_WEBHOOK_SECRET_ARN: Secrets Manager is read on AWS only; set ALERT_WEBHOOK_SECRET locally"))
	}
	return errors.Join(errs...)
}

// Routes are the configured destinations with their minimum severities: what the evaluator enqueues for.
func (c Config) Routes() []Route {
	var out []Route
	if c.SlackURL != "" || c.SlackURLSecretARN != "" {
		out = append(out, Route{Destination: DestinationSlack, MinSeverity: c.SlackMinSeverity})
	}
	if c.WebhookURL != "" {
		out = append(out, Route{Destination: DestinationWebhook, MinSeverity: c.WebhookMinSeverity})
	}
	if c.SNSTopicARN != "" {
		out = append(out, Route{Destination: DestinationSNS, MinSeverity: c.SNSMinSeverity})
	}
	return out
}

// SecretFunc reads the string of a secret by ARN (Secrets Manager on AWS).
type SecretFunc func(ctx context.Context, arn string) (string, error)

// Notifiers builds the Slack and webhook notifiers, reading the secrets named by ARN through secret (which may
// be nil when none is). SNS is not built here: the AWS runtime adds it (internal/awssns). A destination that
// cannot be built is left out and its failure joined in the error, so the others still deliver. Errors name the
// setting and the ARN, never the secret's value.
func (c Config) Notifiers(ctx context.Context, secret SecretFunc) (map[string]Notifier, error) {
	out := map[string]Notifier{}
	var errs []error
	nets, err := outbound.ParseNetworks(c.AllowedPrivateNetworks)
	if err != nil {
		return out, fmt.Errorf("%s: %w", outbound.EnvAllowedNetworks, err)
	}
	policy := outbound.New(outbound.Config{AllowedNetworks: nets})
	read := func(name, arn string) (string, error) {
		if secret == nil {
			return "", fmt.Errorf("%s: no Secrets Manager to read %s from", name, arn)
		}
		v, err := secret(ctx, arn)
		if err != nil {
			return "", fmt.Errorf("%s: read secret %s: %w", name, arn, err)
		}
		if v = strings.TrimSpace(v); v == "" {
			return "", fmt.Errorf("%s: secret %s is empty", name, arn)
		}
		return v, nil
	}
	slackURL := c.SlackURL
	if c.SlackURLSecretARN != "" {
		if slackURL, err = read("ALERT_SLACK_WEBHOOK_SECRET_ARN", c.SlackURLSecretARN); err == nil && checkURL(slackURL) != nil {
			err = fmt.Errorf("ALERT_SLACK_WEBHOOK_SECRET_ARN: secret %s does not hold an https URL", c.SlackURLSecretARN)
		}
	}
	if err == nil && slackURL != "" {
		var s *Slack
		if s, err = NewSlack(slackURL, policy); err == nil {
			out[DestinationSlack] = s
		}
	}
	errs = append(errs, err)
	if c.WebhookURL != "" {
		key, err := c.WebhookSecret, error(nil)
		if c.WebhookSecretARN != "" {
			key, err = read("ALERT_WEBHOOK_SECRET_ARN", c.WebhookSecretARN)
		}
		if err == nil {
			var w *Webhook
			if w, err = NewWebhook(c.WebhookURL, key, policy); err == nil {
				out[DestinationWebhook] = w
			}
		}
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// FindingURL is the admin UI's page of a finding.
func FindingURL(baseURL string, findingID int64) string {
	return strings.TrimRight(baseURL, "/") + "/findings/" + strconv.FormatInt(findingID, 10)
}

// checkURL accepts an absolute https URL, or http to a loopback address (local receivers and tests). Its errors
// never repeat the URL (it may hold a token).
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return errors.New("not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("want https (plain http only to a loopback address)")
	}
	return fmt.Errorf("scheme %q: want https", u.Scheme)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkARN checks that s is an ARN of service.
func checkARN(s, service string) error {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != service || parts[3] == "" || parts[5] == "" {
		return fmt.Errorf("%q is not an ARN of %s (arn:aws:%s:<region>:<account>:...)", s, service, service)
	}
	return nil
}
