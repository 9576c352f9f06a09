package awsrun_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/awsrun/smfake"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
)

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		give    map[string]string
		want    awsrun.Config
		wantErr string
	}{
		{
			name: "defaults",
			give: map[string]string{"DATABASE_URL": "postgres://db/x"},
			want: awsrun.Config{DatabaseURL: "postgres://db/x", DatabaseSSLMode: "require", TailWindow: time.Hour,
				SyncMargin: time.Minute, LogFormat: "json", LogLevel: "info"},
		},
		{
			name: "everything",
			give: map[string]string{
				"DATABASE_SECRET_ARN": "arn:s", "DATABASE_HOST": "proxy", "DATABASE_SSLMODE": "verify-full",
				"CONNECTOR_KMS_KEY_ARN": "arn:k", "INBOX_QUEUE_URL": "https://q", "FULL_FUNCTION_NAME": "f",
				"DISCOVERY_FUNCTION_NAME": "d", "AWS_LAMBDA_FUNCTION_NAME": "self", "TAIL_STATE_MACHINE_ARN": "arn:m", "TAIL_EXECUTION_WINDOW": "30m",
				"SYNC_DEADLINE_MARGIN": "90s", "LOG_FORMAT": "text", "LOG_LEVEL": "debug",
			},
			want: awsrun.Config{DatabaseSecretARN: "arn:s", DatabaseHost: "proxy", DatabaseSSLMode: "verify-full",
				KMSKeyARN: "arn:k", InboxQueueURL: "https://q", FullFunction: "f", DiscoveryFunction: "d", SelfFunction: "self",
				TailStateMachineARN: "arn:m", TailWindow: 30 * time.Minute, SyncMargin: 90 * time.Second,
				LogFormat: "text", LogLevel: "debug"},
		},
		{name: "no database", give: map[string]string{}, wantErr: "DATABASE_URL or DATABASE_SECRET_ARN"},
		{name: "IAM auth without a URL", give: map[string]string{"DATABASE_SECRET_ARN": "arn:s", "DATABASE_IAM_AUTH": "1"}, wantErr: "DATABASE_IAM_AUTH=1 needs DATABASE_URL"},
		{name: "bad margin", give: map[string]string{"DATABASE_URL": "x", "SYNC_DEADLINE_MARGIN": "soon"}, wantErr: "SYNC_DEADLINE_MARGIN"},
		{name: "bad window", give: map[string]string{"DATABASE_URL": "x", "TAIL_EXECUTION_WINDOW": "-1h"}, wantErr: "TAIL_EXECUTION_WINDOW"},
		{name: "bad log format", give: map[string]string{"DATABASE_URL": "x", "LOG_FORMAT": "xml"}, wantErr: "LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := awsrun.ConfigFromEnv(getenv(tt.give))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v (%v), want %+v", got, err, tt.want)
			}
		})
	}
}

// rdsSecret is the database secret RDS would keep for the test database behind dbURL.
func rdsSecret(t *testing.T, dbURL string) (secret string, host string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := u.User.Password()
	b, _ := json.Marshal(map[string]any{"engine": "postgres", "username": u.User.Username(), "password": pass,
		"host": "db.cluster-abc.us-east-1.rds.amazonaws.com", "port": json.Number(u.Port()), "dbname": strings.TrimPrefix(u.Path, "/")})
	return string(b), u.Hostname()
}

// TestLoadFromTheEnvironment loads a function's runtime the way main does: the environment and the default AWS
// configuration, here pointed at the Secrets Manager fake (AWS_ENDPOINT_URL_SECRETS_MANAGER). The database
// credentials come from the secret, the host from DATABASE_HOST (an RDS Proxy endpoint on AWS).
func TestLoadFromTheEnvironment(t *testing.T) {
	sm := smfake.NewServer()
	t.Cleanup(sm.Close)
	secret, host := rdsSecret(t, postgrestest.URL(t))
	arn := sm.Put("open-sspm/db", secret)
	for k, v := range map[string]string{
		"DATABASE_SECRET_ARN": arn, "DATABASE_HOST": host, "DATABASE_SSLMODE": "disable", "LOG_LEVEL": "error",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL, "AWS_CONFIG_FILE": t.TempDir() + "/none",
		"AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none", "AWS_EC2_METADATA_DISABLED": "true",
		"DATABASE_URL": "", "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
	rt, err := awsrun.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if sm.Reads() != 1 {
		t.Fatalf("secret reads = %d", sm.Reads())
	}
	// The api function answers health through API Gateway.
	resp, err := rt.API(t.Context(), events.APIGatewayV2HTTPRequest{RawPath: "/healthz",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}})
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"status":"ok"`) {
		t.Fatalf("healthz: %+v %v", resp, err)
	}
	// This function has no queue: its webhook handler says which variable is missing.
	if _, err := rt.Webhook(t.Context(), events.APIGatewayV2HTTPRequest{RawPath: "/hooks/test/t1"}); err == nil || !strings.Contains(err.Error(), "INBOX_QUEUE_URL") {
		t.Fatalf("webhook without a queue: %v", err)
	}
}

func TestDatabaseSecretErrors(t *testing.T) {
	t.Parallel()
	sm := smfake.NewServer()
	t.Cleanup(sm.Close)
	tests := []struct {
		name    string
		secret  string // "" leaves the secret out
		wantErr string
	}{
		{name: "missing secret", wantErr: "ResourceNotFoundException"},
		{name: "not JSON", secret: "hunter2", wantErr: "not the JSON of an RDS secret"},
		{name: "no host", secret: `{"username":"u","password":"hunter2"}`, wantErr: "username and host are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn := "arn:aws:secretsmanager:us-east-1:111122223333:secret:none"
			if tt.secret != "" {
				arn = sm.Put(strings.ReplaceAll(tt.name, " ", "-"), tt.secret)
			}
			_, err := awsrun.New(context.Background(), awsrun.Config{DatabaseSecretARN: arn},
				awsrun.Deps{Clients: awsrun.Clients{SecretsManager: sm.Client()}})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("err = %v, want %q without the password", err, tt.wantErr)
			}
		})
	}
}
