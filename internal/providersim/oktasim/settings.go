package oktasim

import (
	"net/http"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// authenticator is an Okta Identity Engine authenticator.
type authenticator struct {
	id, key, typ, name, status string
	created                    time.Time
	settings                   []byte
}

// logStream is a System Log stream to a SIEM.
type logStream struct {
	id, name, typ, status string
	created               time.Time
	settings              []byte
}

// brand is a sign-in brand; customized says whether its sign-in page is.
type brand struct {
	id, name   string
	customized bool
}

// adminConsoleSettings are the Okta Admin Console's session settings.
type adminConsoleSettings struct {
	idleMinutes, lifetimeMinutes int
}

// buildSettings creates authenticators, log streams, brands and the admin
// console settings from the company's security settings.
func buildSettings(o *org, c *providersim.Company, ids idMaker) {
	sec := c.Security
	fips := "OPTIONAL"
	if sec.FIPSCompliance {
		fips = "REQUIRED"
	}
	add := func(key, typ, name, status string, settings obj) {
		_, id := o.next(ids, prefixAuthenticator)
		a := &authenticator{id: id, key: key, typ: typ, name: name, status: status, created: o.created}
		if settings != nil {
			a.settings = mustJSON(settings)
		}
		o.authenticators = append(o.authenticators, a)
	}
	add("okta_email", "email", "Email", "ACTIVE", obj{"allowedFor": "any", "tokenLifetimeInMinutes": 5})
	add("okta_password", "password", "Password", "ACTIVE", obj{"allowedFor": "any"})
	add("okta_verify", "app", "Okta Verify", "ACTIVE", obj{"allowedFor": "any", "compliance": obj{"fips": fips},
		"channelBinding": obj{"style": "NUMBER_CHALLENGE", "required": "HIGH_RISK_ONLY"}, "userVerification": "PREFERRED",
		"appInstanceId": ids.id(prefixApp, 1<<40)})
	add("webauthn", "security_key", "Security Key or Biometric", "ACTIVE", obj{"allowedFor": "any"})
	add("phone_number", "phone", "Phone", "ACTIVE", obj{"allowedFor": "any"})
	add("security_question", "security_question", "Security Question", "INACTIVE", obj{"allowedFor": "recovery"})
	add("google_otp", "app", "Google Authenticator", "ACTIVE", nil)

	if sec.AuditLogStreaming {
		_, id := o.next(ids, prefixLogStream)
		o.logStreams = append(o.logStreams, &logStream{id: id, name: "SIEM EventBridge", typ: "aws_eventbridge", status: "ACTIVE",
			created:  o.created.Add(24 * time.Hour),
			settings: mustJSON(obj{"accountId": "123456789012", "eventSourceName": o.subdomain + "_okta_logs", "region": "us-east-1"})})
	}
	_, bid := o.next(ids, prefixBrand)
	o.brands = append(o.brands, &brand{id: bid, name: c.Name, customized: sec.CustomSignInPage})
	o.adminConsole = adminConsoleSettings{idleMinutes: sec.AdminConsoleIdleMinutes, lifetimeMinutes: sec.AdminConsoleLifetimeMinutes}
}

// listAuthenticators serves GET /api/v1/authenticators.
func (s *Server) listAuthenticators(w http.ResponseWriter, r *http.Request, rq *request) {
	s.serveRead(w, func(jw *jsonw) bool {
		jw.beginArray()
		for _, a := range s.org.authenticators {
			jw.beginObject()
			jw.fStr("type", a.typ)
			jw.fStr("id", a.id)
			jw.fStr("key", a.key)
			jw.fStr("status", a.status)
			jw.fStr("name", a.name)
			jw.fTime("created", a.created)
			jw.fTime("lastUpdated", a.created)
			if a.settings != nil {
				jw.key("settings")
				jw.raw(a.settings)
			}
			jw.key("_links")
			jw.beginObject()
			jw.href("self", rq.base, "/api/v1/authenticators/"+a.id)
			jw.href("methods", rq.base, "/api/v1/authenticators/"+a.id+"/methods")
			jw.endObject()
			jw.endObject()
		}
		jw.endArray()
		return true
	})
}

// listLogStreams serves GET /api/v1/logStreams (one page; Okta orgs hold at
// most two streams).
func (s *Server) listLogStreams(w http.ResponseWriter, r *http.Request, rq *request) {
	setLinks(w, r, rq, "")
	s.serveRead(w, func(jw *jsonw) bool {
		jw.beginArray()
		for _, l := range s.org.logStreams {
			jw.beginObject()
			jw.fStr("id", l.id)
			jw.fStr("name", l.name)
			jw.fStr("type", l.typ)
			jw.fStr("status", l.status)
			jw.fTime("created", l.created)
			jw.fTime("lastUpdated", l.created)
			jw.key("settings")
			jw.raw(l.settings)
			jw.key("_links")
			jw.beginObject()
			jw.href("self", rq.base, "/api/v1/logStreams/"+l.id)
			jw.href("deactivate", rq.base, "/api/v1/logStreams/"+l.id+"/lifecycle/deactivate")
			jw.endObject()
			jw.endObject()
		}
		jw.endArray()
		return true
	})
}

// listBrands serves GET /api/v1/brands.
func (s *Server) listBrands(w http.ResponseWriter, r *http.Request, rq *request) {
	s.serveRead(w, func(jw *jsonw) bool {
		jw.beginArray()
		for _, b := range s.org.brands {
			jw.beginObject()
			jw.fStr("id", b.id)
			jw.fStr("name", b.name)
			jw.fBool("isDefault", true)
			jw.fBool("removePoweredByOkta", false)
			jw.fNull("customPrivacyPolicyUrl")
			jw.fBool("agreeToCustomPrivacyPolicy", false)
			jw.fStr("locale", "en")
			jw.fNull("emailDomainId")
			jw.key("_links")
			jw.beginObject()
			jw.href("self", rq.base, "/api/v1/brands/"+b.id)
			jw.href("themes", rq.base, "/api/v1/brands/"+b.id+"/themes")
			jw.endObject()
			jw.endObject()
		}
		jw.endArray()
		return true
	})
}

// getCustomizedSignInPage serves GET /api/v1/brands/{brandId}/pages/sign-in/customized:
// 404 when the brand's sign-in page is not customized.
func (s *Server) getCustomizedSignInPage(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("brandId")
	s.serveRead(w, func(jw *jsonw) bool {
		for _, b := range s.org.brands {
			if b.id == id && b.customized {
				jw.beginObject()
				jw.fStr("pageContent", "<!DOCTYPE html><html><body>{{{SignInWidgetResources}}}</body></html>")
				jw.key("widgetCustomizations")
				jw.beginObject()
				jw.fStr("widgetGeneration", "G3")
				jw.endObject()
				jw.fStr("widgetVersion", "^7")
				jw.endObject()
				return true
			}
		}
		return false
	}, notFoundAs(s, id, "CustomizedSignInPage"))
}

// getFirstPartyAppSettings serves GET /api/v1/first-party-app-settings/{appName}.
func (s *Server) getFirstPartyAppSettings(w http.ResponseWriter, r *http.Request, rq *request) {
	name := r.PathValue("appName")
	s.serveRead(w, func(jw *jsonw) bool {
		if name != "admin-console" {
			return false
		}
		jw.beginObject()
		jw.fInt("sessionMaxLifetimeMinutes", int64(s.org.adminConsole.lifetimeMinutes))
		jw.fInt("sessionIdleTimeoutMinutes", int64(s.org.adminConsole.idleMinutes))
		jw.endObject()
		return true
	}, notFoundAs(s, name, "FirstPartyAppSettings"))
}

// listAPITokens serves GET /api/v1/api-tokens: metadata of the accepted SSWS tokens.
func (s *Server) listAPITokens(w http.ResponseWriter, r *http.Request, rq *request) {
	tokens := s.auth.tokenList()
	s.serveRead(w, func(jw *jsonw) bool {
		jw.beginArray()
		for i := range tokens {
			id := s.ids.id(prefixToken, int64(i+1))
			jw.beginObject()
			jw.fStr("id", id)
			jw.fStr("name", "Open-SSPM token "+strconv.Itoa(i+1))
			jw.fStr("userId", s.admin.id)
			jw.fStr("clientName", "Okta API")
			jw.fTime("created", s.org.created)
			jw.fTime("expiresAt", rq.now.Add(30*24*time.Hour))
			jw.fTime("lastUpdated", s.org.created)
			jw.fStr("tokenWindow", "P30D")
			jw.key("network")
			jw.beginObject()
			jw.fStr("connection", "ANYWHERE")
			jw.endObject()
			jw.key("_links")
			jw.beginObject()
			jw.href("self", rq.base, "/api/v1/api-tokens/"+id)
			jw.endObject()
			jw.endObject()
		}
		jw.endArray()
		return true
	})
}

// getOrg serves GET /api/v1/org: the org's general settings.
func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, rq *request) {
	s.serveRead(w, func(jw *jsonw) bool {
		o := s.org
		jw.beginObject()
		jw.fStr("id", o.id)
		jw.fStr("companyName", o.name)
		jw.fStr("subdomain", o.subdomain)
		jw.fStr("status", "ACTIVE")
		jw.fStr("website", "https://"+s.company.Domain)
		jw.fTime("created", o.created)
		jw.fTime("lastUpdated", o.created)
		jw.fTime("expiresAt", time.Time{})
		jw.key("_links")
		jw.beginObject()
		jw.href("preferences", rq.base, "/api/v1/org/preferences")
		jw.endObject()
		jw.endObject()
		return true
	})
}

// serveRead encodes under the read lock and writes 200, or calls missing
// (default 404) when encode reports false.
func (s *Server) serveRead(w http.ResponseWriter, encode func(*jsonw) bool, missing ...func(http.ResponseWriter)) {
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	ok := func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return encode(jw)
	}()
	if !ok {
		if len(missing) > 0 {
			missing[0](w)
		} else {
			s.writeError(w, http.StatusNotFound, "", "")
		}
		return
	}
	writeBody(w, http.StatusOK, jw.b)
}

// notFoundAs returns a writer of Okta's 404 for the object.
func notFoundAs(s *Server, id, typ string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { s.notFound(w, id, typ) }
}
