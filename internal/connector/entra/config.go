package entra

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Config is an Entra ID connector's non-secret configuration (the connector's config JSON). The secret is the
// app registration's client secret for auth "client_secret", or a PEM file holding its certificate and the
// certificate's private key for auth "certificate".
//
// Fields (ConfigSchema carries the same help text for the admin UI):
//
//   - tenant_id (required): the directory (tenant) id, a GUID, or a verified domain of the tenant.
//   - client_id (required): the application (client) id of the app registration, a GUID.
//   - auth (required): "certificate" (recommended) or "client_secret".
//   - full_resync_hours (optional, default 168 = weekly): how often a full-lane run enumerates users and groups
//     whole instead of applying their delta; only such a run expires users, groups and memberships the tenant no
//     longer has. 0 enumerates on every run.
//   - graph_url, authority_host (optional): Microsoft Graph's base URL (default https://graph.microsoft.com/v1.0)
//     and the sign-in authority (default https://login.microsoftonline.com) of the tenant's cloud; only the
//     national clouds' hosts are accepted (demo mode also accepts the simulator's loopback address).
type Config struct {
	TenantID        string `json:"tenant_id"`
	ClientID        string `json:"client_id"`
	Auth            string `json:"auth"`
	FullResyncHours *int   `json:"full_resync_hours,omitempty"`
	GraphURL        string `json:"graph_url,omitempty"`
	AuthorityHost   string `json:"authority_host,omitempty"`
}

// Auth modes.
const (
	AuthSecret      = "client_secret"
	AuthCertificate = "certificate"
)

// Defaults.
const (
	DefaultGraphURL        = "https://graph.microsoft.com/v1.0"
	DefaultAuthorityHost   = "https://login.microsoftonline.com"
	DefaultFullResyncHours = 168
	// GraphScope is the scope requested with client credentials: the app's consented application permissions.
	GraphScope = "https://graph.microsoft.com/.default"
)

// Scopes are the least-privilege Microsoft Graph application permissions to grant the app registration (admin
// consent required), each for what it reads.
var Scopes = []string{
	"User.Read.All",                     // users, users delta
	"GroupMember.Read.All",              // groups, members, groups delta
	"Application.Read.All",              // applications, service principals, owners, app role assignments
	"RoleManagement.Read.Directory",     // directory role definitions and assignments (admins)
	"AuditLog.Read.All",                 // signInActivity, userRegistrationDetails (MFA), directoryAudits, signIns
	"DelegatedPermissionGrant.Read.All", // oauth2PermissionGrants (OAuth consents)
}

// Graph and authority hosts of Microsoft's clouds (global, US Government, US DoD, China).
var (
	graphHosts     = []string{"graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"}
	authorityHosts = []string{"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"}
	guidPattern    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainPattern  = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// ConfigSchema is the JSON Schema of Config for the admin UI's connector form.
const ConfigSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Microsoft Entra ID",
  "type": "object",
  "additionalProperties": false,
  "required": ["tenant_id", "client_id", "auth"],
  "properties": {
    "tenant_id": {"type": "string", "title": "Tenant ID", "description": "The directory (tenant) id (a GUID) or a verified domain of the tenant."},
    "client_id": {"type": "string", "title": "Client ID", "description": "The application (client) id of the app registration the connector signs in as. Grant it these Microsoft Graph application permissions with admin consent: User.Read.All, GroupMember.Read.All, Application.Read.All, RoleManagement.Read.Directory, AuditLog.Read.All, DelegatedPermissionGrant.Read.All."},
    "auth": {
      "type": "string", "enum": ["certificate", "client_secret"], "default": "certificate", "title": "Authentication",
      "description": "certificate (recommended): the secret is a PEM file with the certificate uploaded to the app registration and its private key. client_secret: the secret is a client secret of the app registration."
    },
    "full_resync_hours": {
      "type": "integer", "minimum": 0, "default": 168, "title": "Full re-enumeration every (hours)",
      "description": "Between full re-enumerations, full-lane runs apply the users and groups delta. Only a full re-enumeration expires users, groups and memberships the tenant no longer has. 0 enumerates on every run."
    },
    "graph_url": {"type": "string", "format": "uri", "title": "Graph URL", "description": "Optional: Microsoft Graph's base URL in a national cloud (default https://graph.microsoft.com/v1.0)."},
    "authority_host": {"type": "string", "format": "uri", "title": "Authority host", "description": "Optional: the sign-in authority of a national cloud (default https://login.microsoftonline.com)."}
  }
}`

// settings is a validated Config.
type settings struct {
	Config
	graph      *url.URL
	authority  *url.URL
	fullResync time.Duration
}

// parseConfig validates a connector's config; errors are sspm.CodeInvalid and name the field.
func parseConfig(raw json.RawMessage, allowLoopback bool) (settings, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if len(bytes.TrimSpace(raw)) == 0 {
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "config: tenant_id, client_id and auth are required")
	}
	if err := dec.Decode(&c); err != nil {
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "config: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	c.TenantID, c.ClientID = strings.TrimSpace(c.TenantID), strings.TrimSpace(c.ClientID)
	switch {
	case c.TenantID == "":
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "config.tenant_id is required")
	case !guidPattern.MatchString(c.TenantID) && !domainPattern.MatchString(strings.ToLower(c.TenantID)):
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "config.tenant_id: use the directory (tenant) id, a GUID, or a verified domain of the tenant")
	case c.ClientID == "":
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "config.client_id is required")
	case !guidPattern.MatchString(c.ClientID):
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "config.client_id: use the application (client) id, a GUID")
	case c.Auth != AuthSecret && c.Auth != AuthCertificate:
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "config.auth: use %q or %q", AuthCertificate, AuthSecret)
	}
	s := settings{Config: c, fullResync: DefaultFullResyncHours * time.Hour}
	if c.FullResyncHours != nil {
		if *c.FullResyncHours < 0 {
			return settings{}, sspm.Errorf(sspm.CodeInvalid, "config.full_resync_hours must be 0 or more")
		}
		s.fullResync = time.Duration(*c.FullResyncHours) * time.Hour
	}
	var err error
	if s.graph, err = endpointURL("graph_url", c.GraphURL, DefaultGraphURL, graphHosts, allowLoopback); err != nil {
		return settings{}, err
	}
	if s.authority, err = endpointURL("authority_host", c.AuthorityHost, DefaultAuthorityHost, authorityHosts, allowLoopback); err != nil {
		return settings{}, err
	}
	return s, nil
}

// endpointURL parses an endpoint field: https on one of Microsoft's hosts, or (demo mode) a loopback address.
func endpointURL(field, v, def string, hosts []string, allowLoopback bool) (*url.URL, error) {
	if v = strings.TrimSpace(v); v == "" {
		v = def
	}
	u, err := url.Parse(strings.TrimSuffix(v, "/"))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, sspm.Errorf(sspm.CodeInvalid, "config.%s: not an absolute URL", field)
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case allowLoopback && connector.IsLoopback(host) && (u.Scheme == "http" || u.Scheme == "https"):
	case u.Scheme != "https":
		return nil, sspm.Errorf(sspm.CodeInvalid, "config.%s: use https", field)
	case !slices.Contains(hosts, host) || u.Port() != "":
		return nil, sspm.Errorf(sspm.CodeInvalid, "config.%s: use one of Microsoft's hosts (%s)", field, strings.Join(hosts, ", "))
	}
	return u, nil
}

// checkSecret checks the secret's form for the auth mode without logging or returning it.
func checkSecret(auth string, secret []byte) error {
	secret = bytes.TrimSpace(secret)
	if len(secret) == 0 {
		return sspm.Errorf(sspm.CodeInvalid, "secret: empty")
	}
	switch auth {
	case AuthSecret:
		if bytes.Contains(secret, []byte("-----BEGIN")) {
			return sspm.Errorf(sspm.CodeInvalid, "secret: auth is client_secret but the secret is a PEM file (choose auth certificate)")
		}
		if bytes.ContainsAny(secret, "\r\n\t ") {
			return sspm.Errorf(sspm.CodeInvalid, "secret: a client secret has no spaces or line breaks")
		}
	case AuthCertificate:
		if _, _, err := parseCertificate(secret); err != nil {
			return err
		}
	}
	return nil
}

// parseCertificate reads the certificate chain and private key from a PEM (or PKCS#12) secret.
func parseCertificate(secret []byte) ([]*x509.Certificate, crypto.PrivateKey, error) {
	certs, key, err := azidentity.ParseCertificates(bytes.TrimSpace(secret), nil)
	if err != nil {
		return nil, nil, sspm.Errorf(sspm.CodeInvalid, "secret: auth is certificate: the secret must hold the certificate and its unencrypted private key in PEM (%s)", certError(err))
	}
	now := time.Now()
	if len(certs) > 0 && now.After(certs[0].NotAfter) {
		return nil, nil, sspm.Errorf(sspm.CodeInvalid, "secret: the certificate expired on %s: upload a new one to the app registration", certs[0].NotAfter.UTC().Format(time.DateOnly))
	}
	return certs, key, nil
}

// certError shortens azidentity's parse error; it never contains key material.
func certError(err error) string {
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}
