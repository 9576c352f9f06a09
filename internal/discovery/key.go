// Package discovery turns SaaS evidence from identity providers' logs into discovered apps: canonical app keys,
// scope classification, suggested criticality and data classification, managed state, risk scores and hotspots
// (docs/discovery.md). It is pure computation; the discovery lane feeds it and stores what it returns.
package discovery

import (
	"net"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// AppRef is what evidence says about an app.
type AppRef struct {
	Source     sspm.Kind // the connector kind the evidence came from
	SourceName string    // the connector id, distinguishing two orgs of one kind
	AppID      string
	AppName    string
	Domain     string // a domain or URL, when known
}

var (
	guid      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	nonAlnum  = regexp.MustCompile(`[^a-z0-9]+`)
	maxSlug   = 64
	unknownID = "unknown"
)

// CanonicalKey returns the app's key, first match wins (docs/discovery.md#canonical-app-key): a registrable domain; an Entra app id;
// an Okta app id (scoped by the Okta source); a Google OAuth client id (ours); else a name slug with the source kind.
func CanonicalKey(r AppRef) string {
	if d := RegistrableDomain(r.Domain); d != "" {
		return "domain:" + d
	}
	if r.Source == sspm.KindEntra && guid.MatchString(r.AppID) {
		return "entra_appid:" + strings.ToLower(r.AppID)
	}
	if r.Source == sspm.KindOkta && r.AppID != "" {
		return "okta_app:" + strings.ToLower(r.SourceName) + ":" + strings.ToLower(r.AppID)
	}
	if r.Source == sspm.KindGoogle && r.AppID != "" {
		return "google_client:" + r.AppID
	}
	slug := Slug(r.AppName)
	if slug == "" {
		slug = Slug(r.AppID)
	}
	if slug == "" {
		slug = unknownID
	}
	return "name:" + slug + ":" + string(r.Source)
}

// RegistrableDomain reduces a domain or URL to its registrable domain (eTLD+1): scheme, port, "*." and "www."
// stripped, lower-cased; "" for IP addresses and anything that is not a host name.
func RegistrableDomain(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	host = strings.TrimPrefix(host, "*.")
	host = strings.TrimRight(host, ".")
	host = strings.TrimPrefix(host, "www.")
	if host == "" || net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return ""
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// Slug lower-cases s, turns runs of other characters into "-", trims, and keeps at most 64 characters.
func Slug(s string) string {
	s = strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	return s
}

// DisplayName is the source app name, else the app id, else "Unknown app".
func DisplayName(r AppRef) string {
	switch {
	case strings.TrimSpace(r.AppName) != "":
		return strings.TrimSpace(r.AppName)
	case r.AppID != "":
		return r.AppID
	}
	return "Unknown app"
}

// Vendor is a label from the domain's first label ("slack" for slack.com), or "".
func Vendor(domain string) string {
	d := RegistrableDomain(domain)
	if d == "" {
		return ""
	}
	first, _, _ := strings.Cut(d, ".")
	return first
}
