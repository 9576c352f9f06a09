package github

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Config is a GitHub connector's non-secret configuration. The secret is the token for auth "token" and the
// GitHub App's PEM private key for auth "app".
//
//   - org (required): the organization's login.
//   - base_url (optional): the REST API root; default https://api.github.com/. A GitHub Enterprise Server
//     URL (https://{host}/ or https://{host}/api/v3/) is accepted; https only.
//   - auth (required): "token" (a fine-grained PAT with the organization permissions Members: read and
//     Administration: read and the repository permission Metadata: read, or a classic PAT with read:org and repo)
//     or "app" (a GitHub App installed on the organization; the recommended path).
//   - app_id, installation_id (auth "app"): the App's id and its installation on the organization.
//   - rate_limit_share (optional, 0 < x ≤ 1, default 0.5): the share of the hourly budget a run spends before
//     it waits for the reset.
//   - max_concurrency (optional, 1-16, default 4): concurrent requests.
type Config struct {
	Org            string  `json:"org"`
	BaseURL        string  `json:"base_url,omitempty"`
	Auth           string  `json:"auth"`
	AppID          int64   `json:"app_id,omitempty"`
	InstallationID int64   `json:"installation_id,omitempty"`
	RateLimitShare float64 `json:"rate_limit_share,omitempty"`
	MaxConcurrency int     `json:"max_concurrency,omitempty"`
}

// Auth modes.
const (
	AuthToken = "token"
	AuthApp   = "app"
)

// DefaultBaseURL is GitHub.com's REST API root.
const DefaultBaseURL = "https://api.github.com/"

// ConfigSchema is the JSON Schema of Config, for the admin UI.
const ConfigSchema = `{
  "type": "object",
  "required": ["org", "auth"],
  "properties": {
    "org": {"type": "string", "title": "Organization", "description": "The organization's login."},
    "base_url": {"type": "string", "title": "API URL", "description": "Default https://api.github.com/. For GitHub Enterprise Server: https://{host}/api/v3/."},
    "auth": {"type": "string", "enum": ["app", "token"], "title": "Authentication", "description": "app: a GitHub App installation (secret: its PEM private key); token: a fine-grained or classic personal access token (secret: the token)."},
    "app_id": {"type": "integer", "title": "App ID"},
    "installation_id": {"type": "integer", "title": "Installation ID"},
    "rate_limit_share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5},
    "max_concurrency": {"type": "integer", "minimum": 1, "maximum": 16, "default": 4}
  },
  "additionalProperties": false
}`

// Scopes are the read-only permissions to grant, shown in the connector form.
var Scopes = []string{
	"organization: Members (read)", "organization: Administration (read)", "repository: Metadata (read)",
	"repository: Administration (read)",
	"classic PAT: read:org, repo",
	"base permission: an organization owner's token with admin:org (read:org does not show it)",
}

// settings is a parsed, validated Config.
type settings struct {
	Config
	base    *url.URL
	graphql *url.URL
}

var orgLogin = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)

func parseConfig(raw json.RawMessage, o Options) (settings, error) {
	var s settings
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.Config); err != nil {
		return s, sspm.Errorf(sspm.CodeInvalid, "github config: %v", err)
	}
	if !orgLogin.MatchString(s.Org) {
		return s, invalid("org", "must be an organization login")
	}
	switch s.Auth {
	case AuthToken:
	case AuthApp:
		if s.AppID <= 0 || s.InstallationID <= 0 {
			return s, invalid("app_id", "and installation_id are required for auth app")
		}
	default:
		return s, invalid("auth", `must be "app" or "token"`)
	}
	if s.RateLimitShare == 0 {
		s.RateLimitShare = 0.5
	}
	if s.RateLimitShare <= 0 || s.RateLimitShare > 1 {
		return s, invalid("rate_limit_share", "must be in (0, 1]")
	}
	if s.MaxConcurrency == 0 {
		s.MaxConcurrency = 4
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > 16 {
		return s, invalid("max_concurrency", "must be 1-16")
	}
	var err error
	s.base, s.graphql, err = parseBaseURL(s.BaseURL, o)
	return s, err
}

// parseBaseURL returns the REST root (with a trailing slash) and the GraphQL endpoint. GitHub.com's GraphQL is
// /graphql; a GitHub Enterprise Server's REST root is /api/v3/ and its GraphQL /api/graphql.
func parseBaseURL(raw string, o Options) (*url.URL, *url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, nil, invalid("base_url", "must be an absolute URL without credentials, query or fragment")
	}
	host := u.Hostname()
	loopback := connector.IsLoopback(host)
	switch {
	case loopback && !o.AllowLoopback:
		return nil, nil, invalid("base_url", "must not point at a loopback address")
	case u.Scheme != "https" && !(loopback && u.Scheme == "http"):
		return nil, nil, invalid("base_url", "must use https")
	case !loopback && o.policy().CheckHost(host) != nil:
		return nil, nil, invalid("base_url", "must not be an IP address of a private network unless "+outbound.EnvAllowedNetworks+" allows it")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	gql := *u
	switch {
	case strings.EqualFold(host, "api.github.com"):
		u.Path, gql.Path = "/", "/graphql"
	case strings.HasSuffix(u.Path, "/api/v3/"):
		gql.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	case u.Path == "/" && !loopback: // a GHES host given without its API path
		u.Path, gql.Path = "/api/v3/", "/api/graphql"
	default: // the simulator serves GraphQL next to REST
		gql.Path = u.Path + "graphql"
	}
	return u, &gql, nil
}

// checkSecret validates the secret for the auth mode without ever quoting it.
func checkSecret(auth string, secret []byte) error {
	if auth == AuthApp {
		if _, err := parseKey(secret); err != nil {
			return invalid("secret", "(the App's private key) "+err.Error())
		}
		return nil
	}
	tok := strings.TrimSpace(string(secret))
	if tok == "" {
		return invalid("secret", "(the token) is empty")
	}
	for _, r := range tok {
		if r <= ' ' || r > '~' {
			return invalid("secret", "(the token) contains spaces or non-printable characters")
		}
	}
	return nil
}

// parseKey reads a PEM RSA private key (PKCS#1, as GitHub issues them, or PKCS#8).
func parseKey(secret []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(secret)
	if block == nil {
		return nil, errors.New("is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("is not an RSA private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("is not an RSA private key")
	}
	return rk, nil
}

func invalid(field, why string) error {
	return sspm.Errorf(sspm.CodeInvalid, "github config: %s %s", field, why)
}
