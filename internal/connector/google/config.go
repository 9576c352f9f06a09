package google

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"strings"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Defaults of the config.
const (
	DefaultTokenURL = "https://oauth2.googleapis.com/token"
	DefaultAPIURL   = "https://admin.googleapis.com/"
	// DefaultTokenBudget is how many users' OAuth tokens a full run reads (one request per user).
	DefaultTokenBudget = 2000
)

// Scopes are the OAuth scopes the connector asks for; the service account's client id must be authorised for
// exactly these under domain-wide delegation. tokens.list has no read-only scope: user.security also allows
// revoking tokens (the connector never does).
var Scopes = []string{
	"https://www.googleapis.com/auth/admin.directory.user.readonly",
	"https://www.googleapis.com/auth/admin.directory.group.readonly",
	"https://www.googleapis.com/auth/admin.directory.group.member.readonly",
	"https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly",
	"https://www.googleapis.com/auth/admin.directory.user.security",
	"https://www.googleapis.com/auth/admin.reports.audit.readonly",
}

// ConfigSchema is the JSON Schema of the connector's config.
const ConfigSchema = `{
  "type": "object",
  "required": ["admin_email"],
  "additionalProperties": false,
  "properties": {
    "admin_email": {"type": "string", "title": "Admin to act as", "description": "A Workspace admin (ideally with a read-only custom role) the service account impersonates through domain-wide delegation."},
    "customer_id": {"type": "string", "title": "Customer id", "description": "The Workspace customer id (Admin console → Account settings), or my_customer (the admin's own)."},
    "domain": {"type": "string", "title": "Primary domain", "description": "Optional: the primary domain, for email-domain checks."},
    "token_budget": {"type": "integer", "minimum": 0, "maximum": 100000, "title": "OAuth token reads per run", "description": "How many users' third-party OAuth grants a full run reads (one request each); later runs continue. 0 turns them off."},
    "signing": {"type": "string", "enum": ["key", "iam"], "title": "Signing", "description": "key (default): the secret is the service account's JSON key. iam (keyless): the secret is a credential configuration (for example Workload Identity Federation from AWS) of a caller allowed to sign as the service account through the IAM Credentials API."},
    "service_account": {"type": "string", "title": "Service account (keyless)", "description": "With signing iam: the email of the service account whose client id has domain-wide delegation."},
    "iam_url": {"type": "string", "title": "IAM Credentials URL", "description": "Advanced: the IAM Credentials API base URL (default https://iamcredentials.googleapis.com/)."},
    "token_url": {"type": "string", "title": "Token endpoint", "description": "Advanced: the OAuth token endpoint (default https://oauth2.googleapis.com/token)."},
    "api_url": {"type": "string", "title": "API base URL", "description": "Advanced: the Admin SDK base URL (default https://admin.googleapis.com/)."}
  }
}`

// Config is the connector's non-secret config.
type Config struct {
	AdminEmail  string `json:"admin_email"`
	CustomerID  string `json:"customer_id,omitempty"`
	Domain      string `json:"domain,omitempty"`
	TokenBudget *int   `json:"token_budget,omitempty"`
	TokenURL    string `json:"token_url,omitempty"`
	APIURL      string `json:"api_url,omitempty"`
	// Signing is SigningKey (default) or SigningIAM (keyless: ServiceAccount signs through IAMURL).
	Signing        string `json:"signing,omitempty"`
	ServiceAccount string `json:"service_account,omitempty"`
	IAMURL         string `json:"iam_url,omitempty"`
}

// settings are the parsed config.
type settings struct {
	Config
	customer    string
	tokenBudget int
	tokenURL    *url.URL
	apiURL      *url.URL
	iamURL      *url.URL
}

func invalid(field, msg string) error {
	return sspm.Errorf(sspm.CodeInvalid, "google config: %s %s", field, msg)
}

func parseConfig(raw json.RawMessage, o Options) (settings, error) {
	var s settings
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.Config); err != nil {
		return s, sspm.Errorf(sspm.CodeInvalid, "google config: %v", err)
	}
	s.AdminEmail = strings.TrimSpace(s.AdminEmail)
	if at := strings.LastIndex(s.AdminEmail, "@"); at < 1 || at == len(s.AdminEmail)-1 || strings.ContainsAny(s.AdminEmail, " \t") {
		return s, invalid("admin_email", "must be the email address of a Workspace admin")
	}
	s.customer = strings.TrimSpace(s.CustomerID)
	if s.customer == "" {
		s.customer = "my_customer"
	}
	if s.customer != "my_customer" && !validCustomer(s.customer) {
		return s, invalid("customer_id", `must be a customer id such as C01abcd23 or "my_customer"`)
	}
	s.tokenBudget = DefaultTokenBudget
	if s.TokenBudget != nil {
		if *s.TokenBudget < 0 || *s.TokenBudget > 100000 {
			return s, invalid("token_budget", "must be 0-100000")
		}
		s.tokenBudget = *s.TokenBudget
	}
	var err error
	if s.tokenURL, err = parseURL("token_url", s.TokenURL, DefaultTokenURL, o); err != nil {
		return s, err
	}
	if s.apiURL, err = parseURL("api_url", s.APIURL, DefaultAPIURL, o); err != nil {
		return s, err
	}
	if !strings.HasSuffix(s.apiURL.Path, "/") {
		s.apiURL.Path += "/"
	}
	switch s.Signing {
	case "", SigningKey:
		s.Signing = SigningKey
	case SigningIAM:
		if !strings.HasSuffix(s.ServiceAccount, ".gserviceaccount.com") || !strings.Contains(s.ServiceAccount, "@") {
			return s, invalid("service_account", "must be a service account email (…@….iam.gserviceaccount.com) with signing iam")
		}
		if s.iamURL, err = parseURL("iam_url", s.IAMURL, DefaultIAMURL, o); err != nil {
			return s, err
		}
		if !strings.HasSuffix(s.iamURL.Path, "/") {
			s.iamURL.Path += "/"
		}
	default:
		return s, invalid("signing", `must be "key" or "iam"`)
	}
	return s, nil
}

func validCustomer(c string) bool {
	if len(c) < 3 || len(c) > 20 || c[0] != 'C' {
		return false
	}
	for _, r := range c[1:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func parseURL(field, raw, def string, o Options) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, invalid(field, "must be an absolute URL without credentials, query or fragment")
	}
	host := u.Hostname()
	loopback := connector.IsLoopback(host)
	switch {
	case loopback && !o.AllowLoopback:
		return nil, invalid(field, "must not point at a loopback address")
	case u.Scheme != "https" && !(loopback && u.Scheme == "http"):
		return nil, invalid(field, "must use https")
	case !loopback && o.policy().CheckHost(host) != nil:
		return nil, invalid(field, "must not be an IP address of a private network unless "+outbound.EnvAllowedNetworks+" allows it")
	}
	return u, nil
}

// serviceAccountKey is the part of a service account key file the connector uses.
type serviceAccountKey struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	ClientID     string `json:"client_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
}

// parseKey validates a service account key file (the connector's secret). Errors never quote the key.
func parseKey(secret []byte) (serviceAccountKey, *rsa.PrivateKey, error) {
	var k serviceAccountKey
	if err := json.Unmarshal(secret, &k); err != nil {
		return k, nil, sspm.Errorf(sspm.CodeInvalid, "google secret: not a service account key file (JSON)")
	}
	switch {
	case k.Type != "service_account":
		return k, nil, sspm.Errorf(sspm.CodeInvalid, `google secret: the key file's type is %q, want "service_account" (create a key for a service account: IAM → Service accounts → Keys)`, k.Type)
	case !strings.Contains(k.ClientEmail, "@"):
		return k, nil, sspm.Errorf(sspm.CodeInvalid, "google secret: the key file has no client_email")
	case k.PrivateKey == "":
		return k, nil, sspm.Errorf(sspm.CodeInvalid, "google secret: the key file has no private_key")
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return k, nil, sspm.Errorf(sspm.CodeInvalid, "google secret: the key file's private_key is not PEM")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if rk, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 == nil {
			return k, rk, nil
		}
		return k, nil, sspm.Errorf(sspm.CodeInvalid, "google secret: the key file's private_key cannot be parsed")
	}
	rk, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return k, nil, sspm.Errorf(sspm.CodeInvalid, "google secret: the key file's private_key is not an RSA key")
	}
	return k, rk, nil
}
