package oktasim

import (
	"net/http"
	"strings"
)

// provisioning reports whether an app pushes users (features, PROVISIONED
// assignments); every fourth SAML app does.
func (a *app) provisioning() bool { return a.signOnMode == "SAML_2_0" && a.seq%4 == 0 }

// tenantURL returns https://<org>.<domain><path>, the per-tenant URL of a
// SaaS app.
func tenantURL(sub, domain, path string) string { return "https://" + sub + "." + domain + path }

// writeApp encodes an app as its signOnMode's Application subtype.
func writeApp(jw *jsonw, a *app, sub, base string) {
	jw.beginObject()
	jw.fStr("id", a.id)
	jw.fStr("name", a.name)
	jw.fStr("label", a.label)
	jw.fStr("status", a.status)
	jw.fTime("lastUpdated", a.lastUpdated)
	jw.fTime("created", a.created)
	jw.key("accessibility")
	jw.raw([]byte(`{"selfService":false,"errorRedirectUrl":null,"loginRedirectUrl":null}`))
	jw.key("visibility")
	jw.beginObject()
	jw.fBool("autoSubmitToolbar", false)
	jw.key("hide")
	jw.raw([]byte(`{"iOS":false,"web":false}`))
	jw.key("appLinks")
	jw.beginObject()
	jw.fBool(a.name+"_link", true)
	jw.endObject()
	jw.endObject()
	jw.key("features")
	jw.beginArray()
	if a.provisioning() {
		jw.str("PUSH_NEW_USERS")
		jw.str("PUSH_USER_DEACTIVATION")
		jw.str("PUSH_PROFILE_UPDATES")
	}
	jw.endArray()
	jw.fStr("signOnMode", a.signOnMode)
	userName := `{"template":"${source.login}","type":"BUILT_IN"}`
	jw.key("credentials")
	jw.beginObject()
	jw.key("userNameTemplate")
	jw.raw([]byte(userName))
	switch a.signOnMode {
	case "OPENID_CONNECT":
		jw.key("oauthClient")
		jw.beginObject()
		jw.fBool("autoKeyRotation", true)
		jw.fStr("client_id", a.clientID)
		jw.fStr("token_endpoint_auth_method", "client_secret_basic")
		jw.endObject()
	case "AUTO_LOGIN":
		jw.fStr("scheme", "EDIT_USERNAME_AND_PASSWORD")
		jw.fBool("revealPassword", false)
	case "SAML_2_0":
		jw.key("signing")
		jw.beginObject()
		jw.fStr("kid", "sim-"+a.id)
		jw.endObject()
	}
	jw.endObject()
	jw.key("settings")
	jw.beginObject()
	writeAppSettings(jw, a, sub)
	jw.endObject()
	jw.key("_links")
	jw.beginObject()
	if a.accessPolicy != nil {
		jw.href("accessPolicy", base, "/api/v1/policies/"+a.accessPolicy.id)
	}
	jw.href("users", base, "/api/v1/apps/"+a.id+"/users")
	jw.href("groups", base, "/api/v1/apps/"+a.id+"/groups")
	jw.href("self", base, "/api/v1/apps/"+a.id)
	jw.href("deactivate", base, "/api/v1/apps/"+a.id+"/lifecycle/deactivate")
	jw.endObject()
	jw.endObject()
}

// writeAppSettings writes the members of settings: where each sign-on mode
// keeps the URLs a connector derives the app's domain from.
func writeAppSettings(jw *jsonw, a *app, sub string) {
	catalog := !strings.HasPrefix(a.name, sub+"_")
	switch a.signOnMode {
	case "SAML_2_0":
		jw.key("app")
		jw.beginObject()
		if catalog {
			jw.fStr("domain", sub)
		}
		jw.endObject()
		jw.key("signOn")
		jw.beginObject()
		audience := tenantURL(sub, a.domain, "/saml/metadata")
		if catalog {
			jw.fStr("ssoAcsUrlOverride", a.signOnURL)
			jw.fStr("audienceOverride", audience)
		} else {
			jw.fStr("ssoAcsUrl", a.signOnURL)
			jw.fStr("audience", audience)
			jw.fStr("recipient", a.signOnURL)
			jw.fStr("destination", a.signOnURL)
		}
		jw.fStr("defaultRelayState", "")
		jw.fStr("idpIssuer", "http://www.okta.com/${org.externalKey}")
		jw.fStr("subjectNameIdTemplate", "${user.userName}")
		jw.fStr("subjectNameIdFormat", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
		jw.fBool("responseSigned", true)
		jw.fBool("assertionSigned", true)
		jw.fStr("signatureAlgorithm", "RSA_SHA256")
		jw.fStr("digestAlgorithm", "SHA256")
		jw.fBool("honorForceAuthn", true)
		jw.fStr("authnContextClassRef", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
		jw.key("attributeStatements")
		jw.raw([]byte("[]"))
		jw.endObject()
	case "OPENID_CONNECT":
		jw.key("app")
		jw.raw([]byte("{}"))
		jw.key("oauthClient")
		jw.beginObject()
		jw.fNull("client_uri")
		jw.fNull("logo_uri")
		jw.fStrings("redirect_uris", []string{a.signOnURL})
		jw.fStrings("post_logout_redirect_uris", nil)
		jw.fStrings("response_types", []string{"code"})
		jw.fStrings("grant_types", []string{"authorization_code", "refresh_token"})
		jw.fStr("initiate_login_uri", strings.TrimSuffix(a.signOnURL, "/oauth2/callback")+"/login")
		jw.fStr("application_type", "web")
		jw.fStr("consent_method", "REQUIRED")
		jw.fStr("issuer_mode", "DYNAMIC")
		jw.endObject()
	case "AUTO_LOGIN":
		jw.key("app")
		jw.raw([]byte("{}"))
		jw.key("signOn")
		jw.beginObject()
		jw.fStr("loginUrl", a.signOnURL)
		jw.fNull("redirectUrl")
		jw.endObject()
	default:
		jw.key("app")
		jw.beginObject()
		jw.fBool("requestIntegration", false)
		jw.fStr("url", a.signOnURL)
		jw.endObject()
	}
	jw.key("notifications")
	jw.raw([]byte(`{"vpn":{"network":{"connection":"DISABLED"},"message":null,"helpUrl":null}}`))
	jw.fBool("manualProvisioning", false)
	jw.fBool("implicitAssignment", a.firstParty)
	jw.key("notes")
	jw.raw([]byte(`{"admin":null,"enduser":null}`))
}

// appAttr returns an app attribute for filter expressions.
func appAttr(a *app) attrGetter {
	return func(attr string) (string, bool) {
		switch attr {
		case "id":
			return a.id, true
		case "status":
			return a.status, true
		case "name":
			return a.name, true
		case "signOnMode":
			return a.signOnMode, true
		case "lastUpdated":
			return fmtTime(a.lastUpdated), true
		}
		return "", false
	}
}

// listApps serves GET /api/v1/apps with q (label or name prefix), filter,
// limit and after, in id order.
func (s *Server) listApps(w http.ResponseWriter, r *http.Request, rq *request) {
	q := r.URL.Query()
	limit := rq.limit
	e, err := parseExpr(q.Get("filter"))
	if err != nil {
		s.writeError(w, http.StatusBadRequest, codeInvalidSearch, "Invalid search criteria.", err.Error())
		return
	}
	prefix := strings.ToLower(q.Get("q"))
	match := func(a *app) bool {
		if prefix != "" && !strings.HasPrefix(strings.ToLower(a.label), prefix) && !strings.HasPrefix(a.name, prefix) {
			return false
		}
		return e.match(appAttr(a))
	}
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	next := func() string {
		s.mu.RLock()
		defer s.mu.RUnlock()
		as := s.org.apps
		return writePage(jw, as[afterKey(as, rq.after, appSeq):], limit, rq, match,
			func(a *app) string { writeApp(jw, a, s.org.subdomain, rq.base); return a.id })
	}()
	setLinks(w, r, rq, next)
	writeBody(w, http.StatusOK, jw.b)
}

// getApp serves GET /api/v1/apps/{appId}.
func (s *Server) getApp(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("appId")
	s.serveRead(w, func(jw *jsonw) bool {
		a, ok := s.org.appByID[id]
		if ok {
			writeApp(jw, a, s.org.subdomain, rq.base)
		}
		return ok
	}, notFoundAs(s, id, "AppInstance"))
}
