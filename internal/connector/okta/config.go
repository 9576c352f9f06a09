package okta

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Config is an Okta connector's non-secret configuration (the connector's config JSON). The secret is the API
// token for auth "api_token" and the PEM private key of the service app for auth "oauth".
//
// Fields (ConfigSchema carries the same help text for the admin UI):
//
//   - org_url (required): the org's URL, https://{org}.okta.com (also oktapreview.com, okta-emea.com,
//     okta-gov.com, okta.mil) or a custom domain listed in allowed_custom_domains. Not the admin console URL
//     ({org}-admin.okta.com).
//   - auth (required): "api_token" (SSWS token of a dedicated service user holding only the Read-Only
//     Administrator role) or "oauth" (an API service app: client credentials with private_key_jwt; grant it the
//     scopes below on its "Okta API Scopes" tab and assign it the Read-Only Administrator role).
//   - client_id (oauth): the service app's client id.
//   - key_id (oauth, optional): the kid of the app's public key, when the app has several.
//   - scopes (oauth, optional): the scopes to request; default DefaultScopes, all read-only:
//     okta.users.read (users, user factors), okta.groups.read (groups, members), okta.apps.read (apps,
//     assignments, admin console settings), okta.roles.read (admin roles), okta.policies.read (password, sign-on
//     and app sign-in policies), okta.authenticators.read, okta.logStreams.read, okta.brands.read (sign-in page),
//     okta.logs.read (System Log tail and discovery). Only okta.eventHooks.manage may be added beyond .read scopes,
//     and only to let `open-sspm okta register-hook` register the event hook (it also needs okta.eventHooks.read).
//   - rate_limit_share (optional, 0 < x ≤ 1, default 0.5): the share of each Okta rate-limit bucket the connector
//     spends per window before it waits for the reset.
//   - factor_budget (optional, default 2000, 0 turns factor reads off): requests per full run spent on per-user
//     factor reads (MFA enrollment); the reads continue where the previous run stopped, so every user is read
//     once every ceil(users / factor_budget) runs.
//   - allowed_custom_domains (optional): host names of the org's custom domains that org_url may use.
type Config struct {
	OrgURL               string   `json:"org_url"`
	Auth                 string   `json:"auth"`
	ClientID             string   `json:"client_id,omitempty"`
	KeyID                string   `json:"key_id,omitempty"`
	Scopes               []string `json:"scopes,omitempty"`
	RateLimitShare       float64  `json:"rate_limit_share,omitempty"`
	FactorBudget         *int     `json:"factor_budget,omitempty"`
	AllowedCustomDomains []string `json:"allowed_custom_domains,omitempty"`
}

// Auth modes.
const (
	AuthAPIToken = "api_token"
	AuthOAuth    = "oauth"
)

// Defaults.
const (
	DefaultRateLimitShare = 0.5
	DefaultFactorBudget   = 2000
)

// DefaultScopes are the read-only OAuth scopes the connector requests by default (checked against the OpenAPI
// document of okta-sdk-golang v5.0.2 for every endpoint it reads).
var DefaultScopes = []string{
	"okta.users.read", "okta.groups.read", "okta.apps.read", "okta.roles.read", "okta.policies.read",
	"okta.authenticators.read", "okta.logStreams.read", "okta.brands.read", "okta.logs.read",
}

// HookScopes are the scopes RegisterHook adds to the configured ones.
var HookScopes = []string{"okta.eventHooks.read", "okta.eventHooks.manage"}

// oktaDomains are the domains Okta serves orgs under.
var oktaDomains = []string{"okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil"}

var (
	scopePattern = regexp.MustCompile(`^okta\.[A-Za-z]+\.(read|manage)$`)
	labelPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// ConfigSchema is the JSON Schema of Config for the admin UI's connector form.
const ConfigSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Okta",
  "type": "object",
  "additionalProperties": false,
  "required": ["org_url", "auth"],
  "properties": {
    "org_url": {
      "type": "string", "format": "uri", "title": "Org URL",
      "description": "https://{org}.okta.com (or oktapreview.com, okta-emea.com, okta-gov.com, okta.mil), or a custom domain listed below. Not the admin console URL ({org}-admin.okta.com)."
    },
    "auth": {
      "type": "string", "enum": ["api_token", "oauth"], "default": "oauth", "title": "Authentication",
      "description": "oauth (recommended): an API service app using client credentials with private_key_jwt; the secret is its PEM private key. Grant the app the scopes below and the Read-Only Administrator role. api_token: an SSWS API token created by a dedicated service user that holds only the Read-Only Administrator role; the secret is the token."
    },
    "client_id": {"type": "string", "title": "Client ID", "description": "oauth: the service app's client id."},
    "key_id": {"type": "string", "title": "Key ID", "description": "oauth, optional: the kid of the app's public key, when the app has several."},
    "scopes": {
      "type": "array", "uniqueItems": true, "title": "OAuth scopes",
      "items": {"type": "string", "pattern": "^okta\\.[A-Za-z]+\\.(read|manage)$"},
      "default": ["okta.users.read", "okta.groups.read", "okta.apps.read", "okta.roles.read", "okta.policies.read", "okta.authenticators.read", "okta.logStreams.read", "okta.brands.read", "okta.logs.read"],
      "description": "oauth: read-only scopes to request. Users and factors need okta.users.read; groups okta.groups.read; apps, assignments and admin console settings okta.apps.read; admin roles okta.roles.read; policies okta.policies.read; authenticators okta.authenticators.read; log streams okta.logStreams.read; the sign-in page okta.brands.read; the System Log okta.logs.read. Add okta.eventHooks.read and okta.eventHooks.manage only to let 'open-sspm okta register-hook' register the event hook."
    },
    "rate_limit_share": {
      "type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5, "title": "Rate-limit share",
      "description": "Share of each Okta rate-limit bucket the connector spends per window before it waits for the reset."
    },
    "factor_budget": {
      "type": "integer", "minimum": 0, "default": 2000, "title": "Factor reads per run",
      "description": "Requests per full sync spent reading users' MFA factors (one request per user). Reads continue where the previous run stopped; 0 turns them off."
    },
    "allowed_custom_domains": {
      "type": "array", "uniqueItems": true, "title": "Allowed custom domains",
      "items": {"type": "string", "format": "hostname"},
      "description": "Host names of the org's custom domains (e.g. login.example.com) that the org URL may use."
    }
  },
  "allOf": [{"if": {"properties": {"auth": {"const": "oauth"}}}, "then": {"required": ["client_id"]}}]
}`

// settings is a validated configuration with its defaults applied.
type settings struct {
	Config
	org          *url.URL
	share        float64
	factorBudget int
	scopes       []string
}

// parseConfig decodes and validates the configuration; every error is a sspm.CodeInvalid naming the field.
func parseConfig(raw json.RawMessage, allowLoopback bool) (settings, error) {
	var c Config
	if len(bytes.TrimSpace(raw)) == 0 {
		return settings{}, invalid("org_url", "is required")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "okta config: %s", jsonProblem(err))
	}
	s := settings{Config: c, share: c.RateLimitShare, factorBudget: DefaultFactorBudget}
	org, err := checkOrgURL(c.OrgURL, c.AllowedCustomDomains, allowLoopback)
	if err != nil {
		return settings{}, err
	}
	s.org = org
	switch c.Auth {
	case AuthAPIToken:
		if c.ClientID != "" || c.KeyID != "" || len(c.Scopes) > 0 {
			return settings{}, invalid("client_id", "client_id, key_id and scopes apply only to auth \"oauth\"")
		}
	case AuthOAuth:
		if strings.TrimSpace(c.ClientID) == "" {
			return settings{}, invalid("client_id", "is required for auth \"oauth\"")
		}
	case "":
		return settings{}, invalid("auth", "is required: \"api_token\" or \"oauth\"")
	default:
		return settings{}, invalid("auth", fmt.Sprintf("%q is not \"api_token\" or \"oauth\"", c.Auth))
	}
	s.scopes = DefaultScopes
	if len(c.Scopes) > 0 {
		for _, sc := range c.Scopes {
			if !scopePattern.MatchString(sc) {
				return settings{}, invalid("scopes", fmt.Sprintf("%q is not an Okta API scope", sc))
			}
			if strings.HasSuffix(sc, ".manage") && sc != "okta.eventHooks.manage" {
				return settings{}, invalid("scopes", fmt.Sprintf("%q grants write access; the connector needs read-only scopes", sc))
			}
		}
		s.scopes = c.Scopes
	}
	if s.share == 0 {
		s.share = DefaultRateLimitShare
	}
	if s.share < 0 || s.share > 1 {
		return settings{}, invalid("rate_limit_share", "must be greater than 0 and at most 1")
	}
	if c.FactorBudget != nil {
		if *c.FactorBudget < 0 {
			return settings{}, invalid("factor_budget", "must not be negative")
		}
		s.factorBudget = *c.FactorBudget
	}
	return s, nil
}

// checkOrgURL accepts https URLs on an Okta domain or an allowed custom domain, with no path, query, user or
// port; with allowLoopback (demo mode) also http(s) on a loopback address, so the simulator can be used.
func checkOrgURL(raw string, custom []string, allowLoopback bool) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, invalid("org_url", "is required")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, invalid("org_url", "is not an absolute URL such as https://acme.okta.com")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, invalid("org_url", "must be the org's base URL, without a path, query or credentials")
	}
	host := strings.ToLower(u.Hostname())
	if connector.IsLoopback(host) {
		if !allowLoopback {
			return nil, invalid("org_url", "must not point at a loopback address")
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, invalid("org_url", "must use http or https")
		}
		return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
	}
	if u.Scheme != "https" {
		return nil, invalid("org_url", "must use https")
	}
	if u.Port() != "" && u.Port() != "443" {
		return nil, invalid("org_url", "must not name a port")
	}
	if net.ParseIP(host) != nil {
		return nil, invalid("org_url", "must be a host name on an Okta domain, not an IP address")
	}
	for _, d := range oktaDomains {
		sub, ok := strings.CutSuffix(host, "."+d)
		if !ok {
			continue
		}
		if strings.Contains(sub, ".") || !labelPattern.MatchString(sub) {
			return nil, invalid("org_url", fmt.Sprintf("%s is not an org on %s", host, d))
		}
		if strings.HasSuffix(sub, "-admin") {
			return nil, invalid("org_url", fmt.Sprintf("use the org URL https://%s.%s, not the admin console's", strings.TrimSuffix(sub, "-admin"), d))
		}
		return &url.URL{Scheme: "https", Host: host}, nil
	}
	for i, d := range custom {
		d = strings.ToLower(strings.TrimSpace(d))
		if !validHostname(d) {
			return nil, invalid("allowed_custom_domains", fmt.Sprintf("entry %d (%q) is not a host name", i, custom[i]))
		}
		if host == d {
			return &url.URL{Scheme: "https", Host: host}, nil
		}
	}
	return nil, invalid("org_url", fmt.Sprintf("%s is not on an Okta domain (%s) nor in allowed_custom_domains", host, strings.Join(oktaDomains, ", ")))
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 || net.ParseIP(h) != nil || connector.IsLoopback(h) || !strings.Contains(h, ".") {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if !labelPattern.MatchString(l) {
			return false
		}
	}
	return true
}

// checkSecret validates the secret for the auth mode: an API token, or a PEM private key in a form the SDK signs
// with (PKCS#1 "RSA PRIVATE KEY", or PKCS#8 "PRIVATE KEY" holding an RSA or P-256 key). The secret itself never
// appears in an error.
func checkSecret(auth string, secret []byte) error {
	switch auth {
	case AuthAPIToken:
		tok := strings.TrimSpace(string(secret))
		if tok == "" {
			return invalid("secret", "(the API token) is empty")
		}
		for _, r := range tok {
			if r <= ' ' || r > '~' {
				return invalid("secret", "(the API token) contains spaces or non-printable characters")
			}
		}
	case AuthOAuth:
		if err := checkPrivateKey(secret); err != nil {
			return invalid("secret", "(the private key) "+err.Error())
		}
	}
	return nil
}

func checkPrivateKey(secret []byte) error {
	block, _ := pem.Decode(bytes.TrimSpace(secret))
	if block == nil {
		return errors.New("is not PEM")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return errors.New("is not a valid PKCS#1 RSA key")
		}
		return nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return errors.New("is not a valid PKCS#8 key")
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return nil
		case *ecdsa.PrivateKey:
			if k.Curve == elliptic.P256() {
				return nil
			}
		}
		return errors.New("must be an RSA or P-256 key")
	}
	return fmt.Errorf("PEM block %q is not supported: use PKCS#1 (RSA PRIVATE KEY) or PKCS#8 (PRIVATE KEY)", block.Type)
}

func invalid(field, problem string) error {
	return sspm.Errorf(sspm.CodeInvalid, "okta config: %s %s", field, problem)
}

// jsonProblem describes a decoding error without echoing values.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must be a %s", te.Field, te.Type)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + f
	}
	return "not a JSON object"
}
