package connector

import (
	"encoding/json"
	"net"
	"net/url"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// IsLoopback reports whether a URL's host (brackets allowed, any case, a trailing dot allowed) is a loopback
// address: localhost, a name under .localhost, or a loopback IP. Connectors accept such provider URLs (over
// plain http) only in demo mode; names that resolve to a loopback address are refused when dialled
// (internal/outbound).
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Endpoint declares where a kind's config names the provider's address: the credential goes to that host
// only, so a change of host must come with the secret entered again (the admin API refuses it otherwise).
type Endpoint struct {
	// Field is the config field: a URL ("https://acme.okta.com") or a bare host name ("datadoghq.eu").
	Field string
	// Default is the field's value when the config leaves it out or empty (GitHub: https://api.github.com/).
	Default string
}

// Host returns the host the kind sends the secret to under config, in lower case with its port when one is
// named; "" when the kind declares no endpoint field or the value is not a string.
func (e Endpoint) Host(config json.RawMessage) string {
	if e.Field == "" {
		return ""
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(config, &fields)
	var v string
	if raw, ok := fields[e.Field]; ok {
		if err := json.Unmarshal(raw, &v); err != nil {
			return ""
		}
	}
	if v = strings.TrimSpace(v); v == "" {
		v = e.Default
	}
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if p := u.Port(); p != "" && !(p == "443" && u.Scheme == "https") && !(p == "80" && u.Scheme == "http") {
		return net.JoinHostPort(host, p)
	}
	return host
}

// HostChange returns a CodeInvalid error naming the field when after's endpoint host differs from before's
// (both configs of one connector): the saved secret must not be sent to the new host, so the caller asks for
// the secret again. It returns nil when the host is the same or the kind declares no endpoint.
func (e Endpoint) HostChange(before, after json.RawMessage) error {
	if e.Field == "" {
		return nil
	}
	from, to := e.Host(before), e.Host(after)
	if from == to {
		return nil
	}
	return sspm.Errorf(sspm.CodeInvalid, "config.%s: the host changes from %s to %s: enter the secret again "+
		"(the saved secret is never sent to another host)", e.Field, orNone(from), orNone(to))
}

func orNone(h string) string {
	if h == "" {
		return "(none)"
	}
	return h
}
