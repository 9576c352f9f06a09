package oktasim

import (
	"strconv"
	"time"
)

// logEvent is one System Log event. Its uuid and transaction id derive from
// seq, so they are not stored.
type logEvent struct {
	seq            int64
	published      time.Time
	stored         time.Time // persistence time: what polling requests filter on
	eventType      string
	displayMessage string
	severity       string
	actor          logRef
	targets        []logRef
	outcome        string // SUCCESS, FAILURE, ...
	reason         string
	ip, userAgent  string
	debug          []kv
}

// logRef is an actor or target of an event.
type logRef struct {
	id, typ, alternateID, displayName string
	detail                            []kv
}

type kv struct{ k, v string }

// writeLogEvent encodes a LogEvent as the System Log API and event hooks
// deliver it.
func writeLogEvent(jw *jsonw, e *logEvent, seed int64) {
	jw.beginObject()
	jw.key("actor")
	writeRef(jw, e.actor)
	jw.key("client")
	jw.beginObject()
	jw.key("userAgent")
	jw.beginObject()
	jw.fStrOrNull("rawUserAgent", e.userAgent)
	jw.fStr("os", "Unknown")
	jw.fStr("browser", "UNKNOWN")
	jw.endObject()
	jw.fStr("zone", "null")
	jw.fStr("device", "Computer")
	jw.fNull("id")
	jw.fStrOrNull("ipAddress", e.ip)
	jw.key("geographicalContext")
	jw.raw([]byte(`{"city":"San Francisco","state":"California","country":"United States","postalCode":"94107","geolocation":{"lat":37.7598,"lon":-122.3934}}`))
	jw.endObject()
	jw.key("authenticationContext")
	jw.beginObject()
	jw.fInt("authenticationStep", 0)
	jw.fStr("externalSessionId", "idx"+strconv.FormatInt(e.seq*7919%1000003, 36))
	jw.endObject()
	jw.fStr("displayMessage", e.displayMessage)
	jw.fStr("eventType", e.eventType)
	jw.key("outcome")
	jw.beginObject()
	jw.fStr("result", e.outcome)
	jw.fStrOrNull("reason", e.reason)
	jw.endObject()
	jw.fTime("published", e.published)
	jw.key("securityContext")
	jw.raw([]byte(`{"asNumber":64496,"asOrg":"example isp","isp":"example isp","domain":"example.net","isProxy":false}`))
	jw.fStr("severity", e.severity)
	jw.key("debugContext")
	jw.beginObject()
	jw.key("debugData")
	jw.beginObject()
	jw.fStr("requestId", "sim"+strconv.FormatInt(e.seq, 10))
	for _, d := range e.debug {
		jw.key(d.k)
		jw.str(d.v)
	}
	jw.endObject()
	jw.endObject()
	jw.fStr("legacyEventType", legacyType(e.eventType))
	jw.key("transaction")
	jw.beginObject()
	jw.fStr("type", "WEB")
	jw.fStr("id", "txn"+strconv.FormatInt(e.seq, 36))
	jw.key("detail")
	jw.raw([]byte("{}"))
	jw.endObject()
	jw.fStr("uuid", uuid(seed, uint64(e.seq)))
	jw.fStr("version", "0")
	jw.key("request")
	jw.beginObject()
	jw.key("ipChain")
	jw.beginArray()
	if e.ip != "" {
		jw.beginObject()
		jw.fStr("ip", e.ip)
		jw.fStr("version", "V4")
		jw.fNull("source")
		jw.endObject()
	}
	jw.endArray()
	jw.endObject()
	jw.key("target")
	jw.beginArray()
	for _, t := range e.targets {
		writeRef(jw, t)
	}
	jw.endArray()
	jw.endObject()
}

func writeRef(jw *jsonw, r logRef) {
	jw.beginObject()
	jw.fStr("id", r.id)
	jw.fStr("type", r.typ)
	jw.fStrOrNull("alternateId", r.alternateID)
	jw.fStrOrNull("displayName", r.displayName)
	if len(r.detail) == 0 {
		jw.fNull("detailEntry")
	} else {
		jw.key("detailEntry")
		jw.beginObject()
		for _, d := range r.detail {
			jw.key(d.k)
			jw.str(d.v)
		}
		jw.endObject()
	}
	jw.endObject()
}

// legacyType returns the pre-System Log event name of common event types.
func legacyType(t string) string {
	switch t {
	case "user.authentication.sso":
		return "app.auth.sso"
	case "user.session.start":
		return "core.user_auth.login_success"
	case "group.user_membership.add":
		return "core.user_group_member.user_add"
	case "group.user_membership.remove":
		return "core.user_group_member.user_remove"
	case "application.user_membership.add":
		return "app.generic.provision.assign_user_to_app"
	case "application.user_membership.remove":
		return "app.generic.unprovision.user"
	case "user.lifecycle.deactivate":
		return "core.user.config.user_deactivated"
	}
	return t
}

// Refs for the actors and targets of events.

func userRef(u *user) logRef {
	return logRef{id: u.id, typ: "User", alternateID: u.p.login, displayName: u.p.displayName}
}

func groupRef(g *group) logRef {
	return logRef{id: g.id, typ: "UserGroup", alternateID: "unknown", displayName: g.name}
}

func appRef(a *app) logRef {
	return logRef{id: a.id, typ: "AppInstance", alternateID: a.label, displayName: a.label,
		detail: []kv{{"signOnModeType", a.signOnMode}}}
}

func appUserRef(u *user) logRef {
	return logRef{id: u.id, typ: "AppUser", alternateID: u.p.login, displayName: u.p.displayName}
}

// logAttr returns an event attribute for `filter` expressions. target.*
// attributes look at the first target.
func logAttr(e *logEvent) attrGetter {
	return func(attr string) (string, bool) {
		switch attr {
		case "eventType":
			return e.eventType, true
		case "severity":
			return e.severity, true
		case "outcome.result":
			return e.outcome, true
		case "actor.id":
			return e.actor.id, true
		case "actor.alternateId":
			return e.actor.alternateID, true
		case "actor.type":
			return e.actor.typ, true
		case "client.ipAddress":
			return e.ip, true
		case "target.id", "target.type", "target.alternateId":
			if len(e.targets) == 0 {
				return "", false
			}
			t := e.targets[0] // filters look at the first target only (see the package documentation)
			switch attr {
			case "target.id":
				return t.id, true
			case "target.type":
				return t.typ, true
			}
			return t.alternateID, true
		}
		return "", false
	}
}
