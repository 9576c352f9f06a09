package oktasim

import "net/http"

// writeFactor encodes a UserFactor of the factor's type.
func writeFactor(jw *jsonw, u *user, f *factor, base string) {
	jw.beginObject()
	jw.fStr("id", f.id)
	jw.fStr("factorType", f.typ)
	jw.fStr("provider", f.provider)
	jw.fStr("vendorName", f.vendorName)
	jw.fStr("status", f.status)
	jw.fTime("created", f.created)
	jw.fTime("lastUpdated", f.lastUpdated)
	jw.key("profile")
	jw.beginObject()
	switch f.typ {
	case "sms":
		jw.fStr("phoneNumber", f.phone)
	case "email":
		jw.fStr("email", f.email)
	case "question":
		jw.fStr("question", "disliked_food")
		jw.fStr("questionText", "What is the food you least liked as a child?")
	case "push", "signed_nonce":
		jw.fStr("credentialId", u.p.login)
		jw.fStr("deviceType", "SmartPhone_IPhone")
		jw.fStr("name", "iPhone")
		jw.fStr("platform", "IOS")
		jw.fStr("version", "18.1")
	case "webauthn":
		jw.fStr("credentialId", "cred-"+f.id)
		jw.fStr("authenticatorName", "YubiKey 5 NFC")
	default:
		jw.fStr("credentialId", u.p.login)
	}
	jw.endObject()
	jw.key("_links")
	jw.beginObject()
	jw.href("self", base, "/api/v1/users/"+u.id+"/factors/"+f.id)
	jw.href("user", base, "/api/v1/users/"+u.id)
	jw.endObject()
	jw.endObject()
}

// listFactors serves GET /api/v1/users/{userId}/factors (unpaged).
func (s *Server) listFactors(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("userId")
	s.serveRead(w, func(jw *jsonw) bool {
		u, ok := s.lookupUser(id)
		if !ok {
			return false
		}
		jw.beginArray()
		for _, f := range u.factors {
			writeFactor(jw, u, f, rq.base)
		}
		jw.endArray()
		return true
	}, notFoundAs(s, id, "User"))
}
