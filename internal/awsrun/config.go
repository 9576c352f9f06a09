package awsrun

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/app"
)

// Config is a function's configuration, from environment variables. Every function reads the same variables;
// each needs only some of them (see the package documentation), and a handler whose part is not configured
// fails with an error that names the missing variable.
type Config struct {
	// DatabaseURL (DATABASE_URL) is a postgres:// URL. When empty, DatabaseSecretARN must be set.
	DatabaseURL string
	// DatabaseSecretARN (DATABASE_SECRET_ARN) names a Secrets Manager secret holding the database credentials
	// as RDS writes them: {"username", "password", "host", "port", "dbname"}.
	DatabaseSecretARN string
	// DatabaseHost (DATABASE_HOST) replaces the secret's host, e.g. with an RDS Proxy endpoint.
	DatabaseHost string
	// DatabaseSSLMode (DATABASE_SSLMODE, default "require") is the sslmode of a URL built from the secret.
	DatabaseSSLMode string
	// DatabaseIAMAuth (DATABASE_IAM_AUTH=1): DatabaseURL names the function's own database role (no password),
	// and each new connection signs in with an IAM database authentication token made from the function's AWS
	// credentials (rds-db:connect on that role). The migrate function alone uses the master secret.
	DatabaseIAMAuth bool
	// KMSKeyARN (CONNECTOR_KMS_KEY_ARN) is the KMS key that wraps connector secrets' data keys.
	KMSKeyARN string
	// InboxQueueURL (INBOX_QUEUE_URL) is the SQS queue between the webhook and the inbox lane.
	InboxQueueURL string
	// FullFunction and DiscoveryFunction (FULL_FUNCTION_NAME, DISCOVERY_FUNCTION_NAME) are the functions invoked
	// for the full and discovery lanes (name or ARN).
	FullFunction      string
	DiscoveryFunction string
	// EvaluatorFunction (EVALUATOR_FUNCTION_NAME) is invoked after a successful full sync and after new events.
	EvaluatorFunction string
	// Discovery (SYNC_DISCOVERY_ENABLED=1) is the global discovery switch; each connector has its own too.
	Discovery bool
	// UserPoolID, UserPoolClientID (COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID) and Region (AWS_REGION): the api
	// function verifies every request's Cognito JWT itself (JWKS, issuer, audience, expiry), in addition to the
	// API Gateway authorizer.
	UserPoolID       string
	UserPoolClientID string
	Region           string
	// SelfFunction (AWS_LAMBDA_FUNCTION_NAME, set by Lambda) is the running function: the full and discovery
	// functions continue a paused run by invoking it when their lane's variable is not set.
	SelfFunction string
	// TailStateMachineARN (TAIL_STATE_MACHINE_ARN) is the tail loop's state machine.
	TailStateMachineARN string
	// TailWindow (TAIL_EXECUTION_WINDOW, a Go duration, default 1h) buckets tail execution names: at most one
	// execution per stream and window.
	TailWindow time.Duration
	// SyncMargin (SYNC_DEADLINE_MARGIN, a Go duration, default 60s) is how long before the function's timeout
	// a sync run stops taking pages, checkpoints and invokes itself again.
	SyncMargin time.Duration
	// LogFormat (LOG_FORMAT: json, the default, or text) and LogLevel (LOG_LEVEL: debug, info, warn, error).
	LogFormat string
	LogLevel  string
	// Alerts are the finding alert destinations (ALERT_* variables, see alert.ConfigFromEnv). Every function
	// that evaluates enqueues alerts for them; the evaluator function delivers (it reads the Slack URL and the
	// webhook secret from Secrets Manager by ARN, and publishes to ALERT_SNS_TOPIC_ARN).
	Alerts alert.Config
	// HistoryRetention (ACCESS_HISTORY_RETENTION_DAYS, default 400 days) is how long access changes are kept;
	// the evaluator's sweep deletes older ones.
	HistoryRetention time.Duration
}

// Defaults.
const (
	DefaultSyncMargin = 60 * time.Second
	DefaultSSLMode    = "require"
)

// ConfigFromEnv reads the configuration through getenv (os.Getenv in a function).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:         getenv("DATABASE_URL"),
		DatabaseSecretARN:   getenv("DATABASE_SECRET_ARN"),
		DatabaseHost:        getenv("DATABASE_HOST"),
		DatabaseSSLMode:     or(getenv("DATABASE_SSLMODE"), DefaultSSLMode),
		DatabaseIAMAuth:     getenv("DATABASE_IAM_AUTH") == "1",
		KMSKeyARN:           getenv("CONNECTOR_KMS_KEY_ARN"),
		InboxQueueURL:       getenv("INBOX_QUEUE_URL"),
		FullFunction:        getenv("FULL_FUNCTION_NAME"),
		DiscoveryFunction:   getenv("DISCOVERY_FUNCTION_NAME"),
		EvaluatorFunction:   getenv("EVALUATOR_FUNCTION_NAME"),
		Discovery:           getenv("SYNC_DISCOVERY_ENABLED") == "1",
		UserPoolID:          getenv("COGNITO_USER_POOL_ID"),
		UserPoolClientID:    getenv("COGNITO_CLIENT_ID"),
		Region:              getenv("AWS_REGION"),
		SelfFunction:        getenv("AWS_LAMBDA_FUNCTION_NAME"),
		TailStateMachineARN: getenv("TAIL_STATE_MACHINE_ARN"),
		LogFormat:           or(getenv("LOG_FORMAT"), "json"),
		LogLevel:            or(getenv("LOG_LEVEL"), "info"),
	}
	var err error
	if c.TailWindow, err = duration(getenv, "TAIL_EXECUTION_WINDOW", time.Hour); err != nil {
		return Config{}, err
	}
	if c.SyncMargin, err = duration(getenv, "SYNC_DEADLINE_MARGIN", DefaultSyncMargin); err != nil {
		return Config{}, err
	}
	if c.Alerts, err = alert.ConfigFromEnv(getenv); err != nil {
		return Config{}, err
	}
	if c.HistoryRetention, err = app.ParseHistoryRetention(getenv(app.HistoryRetentionEnv)); err != nil {
		return Config{}, err
	}
	if c.DatabaseURL == "" && c.DatabaseSecretARN == "" {
		return Config{}, fmt.Errorf("set DATABASE_URL or DATABASE_SECRET_ARN")
	}
	if c.DatabaseIAMAuth && c.DatabaseURL == "" {
		return Config{}, fmt.Errorf("DATABASE_IAM_AUTH=1 needs DATABASE_URL (the role, host and database to sign in to)")
	}
	if _, err := c.logger(io.Discard); err != nil {
		return Config{}, err
	}
	return c, nil
}

func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive Go duration such as 90s", name, v)
	}
	return d, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// logger builds the structured logger the configuration asks for.
func (c Config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(or(c.LogLevel, "info"))); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(or(c.LogFormat, "json")) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("LOG_FORMAT %q: want json or text", c.LogFormat)
}
