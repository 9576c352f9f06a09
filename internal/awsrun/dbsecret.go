package awsrun

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// dbSecret is a database secret as RDS and Aurora write it in Secrets Manager. port is a number in secrets RDS
// generates and sometimes a string in hand-made ones.
type dbSecret struct {
	Username string          `json:"username"`
	Password string          `json:"password"`
	Host     string          `json:"host"`
	Port     json.RawMessage `json:"port"`
	DBName   string          `json:"dbname"`
}

// databaseURL returns the configured DATABASE_URL, or builds one from the Secrets Manager secret
// DATABASE_SECRET_ARN (host replaced by DATABASE_HOST when set). Errors never include the password.
func databaseURL(ctx context.Context, c Config, client *secretsmanager.Client) (string, error) {
	if c.DatabaseURL != "" {
		return c.DatabaseURL, nil
	}
	if client == nil {
		return "", fmt.Errorf("database secret %s: no Secrets Manager client", c.DatabaseSecretARN)
	}
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.DatabaseSecretARN)})
	if err != nil {
		return "", fmt.Errorf("read database secret %s: %w", c.DatabaseSecretARN, err)
	}
	var s dbSecret
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &s); err != nil {
		return "", fmt.Errorf("database secret %s: not the JSON of an RDS secret", c.DatabaseSecretARN)
	}
	if c.DatabaseHost != "" {
		s.Host = c.DatabaseHost
	}
	port := strings.Trim(string(s.Port), `"`)
	if port == "" || port == "null" {
		port = "5432"
	}
	if s.Username == "" || s.Host == "" {
		return "", fmt.Errorf("database secret %s: username and host are required", c.DatabaseSecretARN)
	}
	dbname := s.DBName
	if dbname == "" {
		dbname = "postgres"
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(s.Username, s.Password),
		Host:     net.JoinHostPort(s.Host, port),
		Path:     "/" + dbname,
		RawQuery: url.Values{"sslmode": {or(c.DatabaseSSLMode, DefaultSSLMode)}}.Encode(),
	}
	return u.String(), nil
}
