package oktasim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// policy is an Okta policy (PASSWORD, OKTA_SIGN_ON, ACCESS_POLICY).
type policy struct {
	seq                                int64
	id, typ, name, description, status string
	priority                           int
	system                             bool
	created, lastUpdated               time.Time
	conditions, settings               []byte // pre-encoded JSON, nil when absent
	rules                              []*policyRule
}

// policyRule is a rule of a policy.
type policyRule struct {
	id, typ, name, status string
	priority              int
	system                bool
	created, lastUpdated  time.Time
	conditions, actions   []byte
}

// mustJSON encodes a literal built in this package; it cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("oktasim: encode literal: " + err.Error())
	}
	return b
}

type obj = map[string]any

// buildPosture creates the policies, rules, authenticators, log streams,
// brands and admin console settings from the company's security settings.
func buildPosture(o *org, c *providersim.Company, ids idMaker) {
	sec := c.Security
	t := o.created
	everyone := ids.id(prefixGroup, 1) // the Everyone group is always group 1
	people := obj{"groups": obj{"include": []string{everyone}}}
	addPolicy := func(typ, name string, prio int, system bool, conditions, settings obj, rules ...*policyRule) {
		seq, id := o.next(ids, prefixPolicy)
		p := &policy{seq: seq, id: id, typ: typ, name: name, description: name, status: "ACTIVE", priority: prio,
			system: system, created: t, lastUpdated: t, rules: rules}
		if conditions != nil {
			p.conditions = mustJSON(conditions)
		}
		if settings != nil {
			p.settings = mustJSON(settings)
		}
		for _, r := range rules {
			_, r.id = o.next(ids, prefixRule)
			r.created, r.lastUpdated, r.status = t, t, "ACTIVE"
		}
		o.policies = append(o.policies, p)
		o.policyByID[p.id] = p
	}
	rule := func(typ, name string, prio int, system bool, conditions, actions obj) *policyRule {
		return &policyRule{typ: typ, name: name, priority: prio, system: system, conditions: mustJSON(conditions), actions: mustJSON(actions)}
	}

	addPolicy("PASSWORD", "Default Policy", 1, true,
		obj{"people": people, "authProvider": obj{"provider": "OKTA"}},
		obj{"password": obj{
			"complexity": obj{"minLength": sec.PasswordMinLength, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0,
				"excludeUsername": true, "excludeAttributes": []string{}, "dictionary": obj{"common": obj{"exclude": sec.PasswordExcludeCommon}}},
			"age":     obj{"maxAgeDays": sec.PasswordMaxAgeDays, "expireWarnDays": 0, "minAgeMinutes": sec.PasswordMinAgeMinutes, "historyCount": sec.PasswordHistory},
			"lockout": obj{"maxAttempts": sec.PasswordLockoutAttempts, "autoUnlockMinutes": 0, "userLockoutNotificationChannels": []string{}, "showLockoutFailures": false},
		}, "recovery": obj{"factors": obj{"okta_email": obj{"status": "ACTIVE", "properties": obj{"recoveryToken": obj{"tokenLifetimeMinutes": 60}}}}},
			"delegation": obj{"options": obj{"skipUnlock": false}}},
		rule("PASSWORD", "Default Rule", 1, true, obj{"people": obj{"users": obj{"exclude": []string{}}}, "network": obj{"connection": "ANYWHERE"}},
			obj{"passwordChange": obj{"access": "ALLOW"}, "selfServicePasswordReset": obj{"access": "ALLOW"}, "selfServiceUnlock": obj{"access": "DENY"}}))

	session := obj{"usePersistentCookie": sec.PersistentSessionCookie, "maxSessionIdleMinutes": sec.SessionIdleMinutes, "maxSessionLifetimeMinutes": sec.SessionLifetimeMinutes}
	signon := obj{"access": "ALLOW", "requireFactor": sec.RequireMFA, "primaryFactor": "PASSWORD_IDP_ANY_FACTOR", "rememberDeviceByDefault": false, "session": session}
	if sec.RequireMFA {
		signon["factorPromptMode"] = "ALWAYS"
	}
	anywhere := obj{"people": obj{"users": obj{"exclude": []string{}}}, "network": obj{"connection": "ANYWHERE"}, "authContext": obj{"authType": "ANY"}}
	addPolicy("OKTA_SIGN_ON", "Default Policy", 2, true, obj{"people": people}, nil,
		rule("SIGN_ON", "Default Rule", 1, true, anywhere, obj{"signon": signon}))
	strict := obj{"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS", "primaryFactor": "PASSWORD_IDP_ANY_FACTOR",
		"session": obj{"usePersistentCookie": false, "maxSessionIdleMinutes": 30, "maxSessionLifetimeMinutes": 480}}
	addPolicy("OKTA_SIGN_ON", "Contractors", 1, false, obj{"people": obj{"groups": obj{"include": []string{everyone}}}}, nil,
		rule("SIGN_ON", "Contractor sessions", 1, false, anywhere, obj{"signon": strict}))

	factorMode := "1FA"
	if sec.RequireMFA {
		factorMode = "2FA"
	}
	assurance := func(mode string, phishingResistant bool) obj {
		possession := obj{"deviceBound": "REQUIRED"}
		if phishingResistant {
			possession["phishingResistant"] = "REQUIRED"
		}
		vm := obj{"type": "ASSURANCE", "factorMode": mode, "reauthenticateIn": "PT12H", "constraints": []obj{}}
		if mode == "2FA" {
			vm["constraints"] = []obj{{"possession": possession}}
		}
		return obj{"appSignOn": obj{"access": "ALLOW", "verificationMethod": vm}}
	}
	catchAll := func(mode string) *policyRule {
		return rule("ACCESS_POLICY", "Catch-all Rule", 99, true, obj{}, assurance(mode, false))
	}
	anyone := obj{"people": obj{"users": obj{"exclude": []string{}}}, "network": obj{"connection": "ANYWHERE"}}
	addPolicy("ACCESS_POLICY", "Default Policy", 1, true, nil, nil, catchAll(factorMode))
	addPolicy("ACCESS_POLICY", "Okta Admin Console", 2, false, nil, nil,
		rule("ACCESS_POLICY", "Admin Console MFA", 0, false, anyone, assurance("2FA", sec.AdminsRequirePhishingResistant)),
		catchAll("2FA"))
	addPolicy("ACCESS_POLICY", "Okta Dashboard", 3, false, nil, nil, catchAll(factorMode))
	chain := obj{"appSignOn": obj{"access": "ALLOW", "verificationMethod": obj{"type": "AUTH_METHOD_CHAIN", "reauthenticateIn": "PT4H",
		"chains": []obj{{"authenticationMethods": []obj{{"key": "okta_password", "method": "password"}},
			"next": []obj{{"authenticationMethods": []obj{{"key": "okta_verify", "method": "signed_nonce"}}}}}}}}}
	addPolicy("ACCESS_POLICY", "High Assurance Apps", 4, false, nil, nil,
		rule("ACCESS_POLICY", "Password then FastPass", 0, false, anyone, chain), catchAll("2FA"))

	buildSettings(o, c, ids)
}

// writePolicy encodes a policy.
func writePolicy(jw *jsonw, p *policy, base string) {
	jw.beginObject()
	jw.fStr("id", p.id)
	jw.fStr("status", p.status)
	jw.fStr("name", p.name)
	jw.fStr("description", p.description)
	jw.fInt("priority", int64(p.priority))
	jw.fBool("system", p.system)
	if p.conditions != nil {
		jw.key("conditions")
		jw.raw(p.conditions)
	} else {
		jw.fNull("conditions")
	}
	jw.fTime("created", p.created)
	jw.fTime("lastUpdated", p.lastUpdated)
	if p.settings != nil {
		jw.key("settings")
		jw.raw(p.settings)
	}
	jw.fStr("type", p.typ)
	jw.key("_links")
	jw.beginObject()
	jw.href("self", base, "/api/v1/policies/"+p.id)
	jw.href("rules", base, "/api/v1/policies/"+p.id+"/rules")
	jw.href("deactivate", base, "/api/v1/policies/"+p.id+"/lifecycle/deactivate")
	jw.endObject()
	jw.endObject()
}

func writeRule(jw *jsonw, p *policy, r *policyRule, base string) {
	jw.beginObject()
	jw.fStr("id", r.id)
	jw.fStr("status", r.status)
	jw.fStr("name", r.name)
	jw.fInt("priority", int64(r.priority))
	jw.fTime("created", r.created)
	jw.fTime("lastUpdated", r.lastUpdated)
	jw.fBool("system", r.system)
	jw.key("conditions")
	jw.raw(r.conditions)
	jw.key("actions")
	jw.raw(r.actions)
	jw.fStr("type", r.typ)
	jw.key("_links")
	jw.beginObject()
	jw.href("self", base, "/api/v1/policies/"+p.id+"/rules/"+r.id)
	jw.href("deactivate", base, "/api/v1/policies/"+p.id+"/rules/"+r.id+"/lifecycle/deactivate")
	jw.endObject()
	jw.endObject()
}

// listPolicies serves GET /api/v1/policies?type=&status=&limit=&after=.
func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request, rq *request) {
	q := r.URL.Query()
	typ := q.Get("type")
	if typ == "" {
		s.writeError(w, http.StatusBadRequest, codeValidation, "Api validation failed: type", "type: The field cannot be left blank")
		return
	}
	limit := rq.limit
	status := strings.ToUpper(q.Get("status"))
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	next := func() string {
		s.mu.RLock()
		defer s.mu.RUnlock()
		var page []*policy
		more := false
		for _, p := range s.org.policies[afterKey(s.org.policies, rq.after, func(p *policy) int64 { return p.seq }):] {
			if p.typ != typ || (status != "" && p.status != status) {
				continue
			}
			if len(page) == limit {
				more = true
				break
			}
			page = append(page, p)
		}
		jw.beginArray()
		last := ""
		for _, p := range page {
			writePolicy(jw, p, rq.base)
			last = p.id
		}
		jw.endArray()
		return nextCursor(rq, more, last)
	}()
	setLinks(w, r, rq, next)
	writeBody(w, http.StatusOK, jw.b)
}

// getPolicy serves GET /api/v1/policies/{policyId}.
func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request, rq *request) {
	s.servePolicy(w, r, rq, func(jw *jsonw, p *policy) { writePolicy(jw, p, rq.base) })
}

// listPolicyRules serves GET /api/v1/policies/{policyId}/rules (unpaged).
func (s *Server) listPolicyRules(w http.ResponseWriter, r *http.Request, rq *request) {
	s.servePolicy(w, r, rq, func(jw *jsonw, p *policy) {
		jw.beginArray()
		for _, ru := range p.rules {
			writeRule(jw, p, ru, rq.base)
		}
		jw.endArray()
	})
}

func (s *Server) servePolicy(w http.ResponseWriter, r *http.Request, rq *request, write func(*jsonw, *policy)) {
	id := r.PathValue("policyId")
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	found := func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		p, ok := s.org.policyByID[id]
		if ok {
			write(jw, p)
		}
		return ok
	}()
	if !found {
		s.notFound(w, id, "Policy")
		return
	}
	writeBody(w, http.StatusOK, jw.b)
}
