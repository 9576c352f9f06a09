package datadog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Config is a Datadog connector's non-secret configuration (the connector's config JSON). The secret holds the
// API key and the application key (see Secret).
//
//   - site (required): the organization's Datadog site, as the SDK names it (datadoghq.com, us3.datadoghq.com,
//     us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com, uk1.datadoghq.com, ddog-gov.com,
//     us2.ddog-gov.com) or by its region (US1, US3, US5, EU1, AP1, AP2, UK1, US1-FED, US2-FED). Keys work only
//     on their organization's site. In demo mode and tests, an http(s) URL of a loopback address (the simulator).
//   - rate_limit_share (optional, 0 < x ≤ 1, default 0.5): the share of each Datadog rate-limit bucket the
//     connector spends per window before it waits for the reset.
type Config struct {
	Site           string  `json:"site"`
	RateLimitShare float64 `json:"rate_limit_share,omitempty"`
}

// Secret is the connector's secret: a JSON object with both keys. Neither is ever logged, returned by the API
// or sent to any host but the site's API.
type Secret struct {
	APIKey string `json:"api_key"`
	AppKey string `json:"application_key"`
}

// DefaultRateLimitShare is the share of each bucket spent per window unless the config says otherwise.
const DefaultRateLimitShare = 0.5

// Sites maps each Datadog site to its region name (the SDK's site enum of v2.67.0).
var Sites = map[string]string{
	"datadoghq.com": "US1", "us3.datadoghq.com": "US3", "us5.datadoghq.com": "US5", "datadoghq.eu": "EU1",
	"ap1.datadoghq.com": "AP1", "ap2.datadoghq.com": "AP2", "uk1.datadoghq.com": "UK1", "ddog-gov.com": "US1-FED",
	"us2.ddog-gov.com": "US2-FED",
}

// Scopes are the application key's permissions, all read-only: the key of a service account whose role holds
// them, scoped to them where the organization allows scoped application keys.
var Scopes = []string{
	PermUserAccessRead, PermAuditLogsRead, PermAPIKeysRead, PermOrgAppKeysRead,
}

// Permission names, as Datadog's role permissions and application key scopes name them.
const (
	// PermUserAccessRead reads users, service accounts, roles and their permissions (required).
	PermUserAccessRead = "user_access_read"
	// PermAuditLogsRead reads the Audit Trail (the tail).
	PermAuditLogsRead = "audit_logs_read"
	// PermAPIKeysRead reads API key metadata.
	PermAPIKeysRead = "api_keys_read"
	// PermOrgAppKeysRead reads every application key's metadata, service accounts' included.
	PermOrgAppKeysRead = "org_app_keys_read"
)

// ConfigSchema is the JSON Schema of Config for the admin UI's connector form.
const ConfigSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Datadog",
  "description": "The secret is {\"api_key\": \"…\", \"application_key\": \"…\"}: an API key of the organization and an application key of a service account holding user_access_read, audit_logs_read, api_keys_read and org_app_keys_read (scoped to them where the organization allows).",
  "type": "object",
  "additionalProperties": false,
  "required": ["site"],
  "properties": {
    "site": {
      "type": "string", "title": "Site", "default": "datadoghq.com",
      "examples": ["datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ap2.datadoghq.com", "uk1.datadoghq.com", "ddog-gov.com", "us2.ddog-gov.com"],
      "description": "The organization's Datadog site: the domain after app. in the address you sign in at (datadoghq.com for US1, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu for EU1, ap1.datadoghq.com, ap2.datadoghq.com, uk1.datadoghq.com, ddog-gov.com for US1-FED, us2.ddog-gov.com), or the region name (US1, EU1, ...). Keys work only on their organization's site."
    },
    "rate_limit_share": {
      "type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5, "title": "Rate-limit share",
      "description": "Share of each Datadog rate-limit bucket the connector spends per window before it waits for the reset."
    }
  }
}`

// settings is a validated configuration with its defaults applied.
type settings struct {
	Config
	// protocol and host are the API's address: https and api.{site}, or the simulator's.
	protocol, host string
	share          float64
}

// base is the API's origin.
func (s settings) base() *url.URL { return &url.URL{Scheme: s.protocol, Host: s.host} }

// parseConfig decodes and validates the configuration; every error is a sspm.CodeInvalid naming the field.
func parseConfig(raw json.RawMessage, allowLoopback bool) (settings, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return settings{}, invalid("site", "is required (e.g. datadoghq.com)")
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "datadog config: %s", jsonProblem(err))
	}
	s := settings{Config: c, share: c.RateLimitShare}
	if s.share == 0 {
		s.share = DefaultRateLimitShare
	}
	if s.share < 0 || s.share > 1 {
		return settings{}, invalid("rate_limit_share", "must be greater than 0 and at most 1")
	}
	proto, host, err := siteHost(c.Site, allowLoopback)
	if err != nil {
		return settings{}, err
	}
	s.protocol, s.host = proto, host
	return s, nil
}

// siteHost returns the API's protocol and host for a site.
func siteHost(site string, allowLoopback bool) (string, string, error) {
	site = strings.TrimSpace(site)
	if site == "" {
		return "", "", invalid("site", "is required (e.g. datadoghq.com)")
	}
	if strings.Contains(site, "://") {
		u, err := url.Parse(site)
		if err == nil && u.Host != "" && connector.IsLoopback(u.Hostname()) {
			if !allowLoopback {
				return "", "", invalid("site", "must not point at a loopback address")
			}
			if (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
				return "", "", invalid("site", "a simulator's address must be an http(s) origin without a path")
			}
			return u.Scheme, u.Host, nil
		}
		if err == nil && u.Host != "" {
			site = u.Hostname() // a pasted URL: tell the site from the host below
		}
	}
	lower := strings.TrimSuffix(strings.ToLower(site), ".")
	for domain, region := range Sites {
		if lower == domain || strings.EqualFold(site, region) {
			return "https", "api." + domain, nil
		}
	}
	for _, prefix := range []string{"app.", "api.", "www."} {
		if d, ok := strings.CutPrefix(lower, prefix); ok {
			if _, known := Sites[d]; known {
				return "", "", invalid("site", fmt.Sprintf("%q is an address, not a site: use %s", site, d))
			}
		}
	}
	if d, ok := strings.CutSuffix(lower, ".datadoghq.com"); ok && !strings.Contains(d, ".") {
		// acme.datadoghq.com: an organization's custom sub-domain serves the UI only; the API is the site's
		return "", "", invalid("site", fmt.Sprintf("%q is an organization's custom sub-domain: use its site (e.g. datadoghq.com)", site))
	}
	return "", "", invalid("site", fmt.Sprintf("%q is not a Datadog site: use one of %s", site, siteList()))
}

func siteList() string {
	var out []string
	for d, r := range Sites {
		out = append(out, d+" ("+r+")")
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// parseSecret reads the two keys. Errors name what is missing or wrong, never the keys themselves.
func parseSecret(secret []byte) (Secret, error) {
	trimmed := bytes.TrimSpace(secret)
	if len(trimmed) == 0 {
		return Secret{}, invalid("secret", "is empty: give {\"api_key\": \"…\", \"application_key\": \"…\"}")
	}
	if trimmed[0] != '{' {
		return Secret{}, invalid("secret", "must be a JSON object {\"api_key\": \"…\", \"application_key\": \"…\"}: both keys are needed")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return Secret{}, invalid("secret", "is not a JSON object {\"api_key\": \"…\", \"application_key\": \"…\"}")
	}
	var s Secret
	for k, v := range raw {
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return Secret{}, invalid("secret", fmt.Sprintf("%s must be a string", k))
		}
		switch k {
		case "api_key":
			s.APIKey = strings.TrimSpace(str)
		case "application_key", "app_key":
			s.AppKey = strings.TrimSpace(str)
		default:
			return Secret{}, invalid("secret", fmt.Sprintf("unknown field %q (want api_key and application_key)", k))
		}
	}
	switch {
	case s.APIKey == "" && s.AppKey == "":
		return Secret{}, invalid("secret", "holds neither api_key nor application_key")
	case s.AppKey == "":
		return Secret{}, invalid("secret", "has an API key but no application key: create an application key (Organization Settings > Service Accounts > the service account > Application Keys) and give it as application_key")
	case s.APIKey == "":
		return Secret{}, invalid("secret", "has an application key but no API key: give one of the organization's API keys (Organization Settings > API Keys) as api_key")
	case s.APIKey == s.AppKey:
		return Secret{}, invalid("secret", "api_key and application_key are the same: the application key is a different key")
	}
	for name, k := range map[string]string{"api_key": s.APIKey, "application_key": s.AppKey} {
		for _, r := range k {
			if r <= ' ' || r > '~' {
				return Secret{}, invalid("secret", name+" contains spaces or non-printable characters")
			}
		}
	}
	// Datadog's API keys are 32 hex digits, application keys 40: keys of those shapes given the other way round
	// were swapped.
	if hexOf(s.APIKey, 40) && hexOf(s.AppKey, 32) {
		return Secret{}, invalid("secret", "api_key looks like an application key (40 characters) and application_key like an API key (32): swap them")
	}
	return s, nil
}

func hexOf(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func invalid(field, problem string) error {
	return sspm.Errorf(sspm.CodeInvalid, "datadog config: %s %s", field, problem)
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
