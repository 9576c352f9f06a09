package oktasim

import (
	"sort"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// emit records an event published now (unless set) and queues it for the
// event hooks subscribed to its type. The caller holds s.mu for writing.
func (s *Server) emit(e *logEvent) {
	now := s.now()
	if e.published.IsZero() {
		e.published = now
	}
	e.stored = now
	if s.opts.LogLag > 0 {
		s.lagSeq++
		e.stored = now.Add(time.Duration(providersim.SplitMix64(uint64(s.eventSeed)^s.lagSeq) % uint64(s.opts.LogLag)))
	}
	if e.severity == "" {
		e.severity = "INFO"
	}
	if e.outcome == "" {
		e.outcome = "SUCCESS"
	}
	if e.ip == "" {
		e.ip = "198.51.100.10"
	}
	if e.stored.After(now) {
		s.pending = append(s.pending, e)
		return
	}
	s.log.append(e)
	s.hooks.enqueue(e)
}

// storeDue moves the events whose persistence time has come from pending into the log, in the order of that
// time (and of their publication). The caller holds s.mu for writing.
func (s *Server) storeDue() {
	if len(s.pending) == 0 {
		return
	}
	now := s.now()
	sort.SliceStable(s.pending, func(i, j int) bool { return s.pending[i].stored.Before(s.pending[j].stored) })
	n := 0
	for n < len(s.pending) && !s.pending[n].stored.After(now) {
		s.log.append(s.pending[n])
		s.hooks.enqueue(s.pending[n])
		n++
	}
	s.pending = append(s.pending[:0], s.pending[n:]...)
}

// RecordSignInAt records a sign-in of a user (user.session.start) stamped with published, which may lie in the
// future, as an event from a client with a skewed clock does; it is stored now (or after the lag).
func (s *Server) RecordSignInAt(id string, published time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.userLocked(id)
	if err != nil {
		return err
	}
	s.emit(&logEvent{eventType: "user.session.start", displayMessage: "User login to Okta", actor: userRef(u),
		targets: []logRef{userRef(u)}, published: published})
	return nil
}

// Pending is how many published events are not yet stored (LogLag).
func (s *Server) Pending() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.pending)
}

// adminActor is the actor of admin changes: the first super admin, or the
// first user, fixed when the org is built.
func (s *Server) adminActor() logRef { return s.admin }

// findAdmin returns the first super admin, or the first user.
func findAdmin(o *org) logRef {
	for _, u := range o.users {
		for _, r := range u.roles {
			if r.typ == "SUPER_ADMIN" {
				return userRef(u)
			}
		}
	}
	if len(o.users) > 0 {
		return userRef(o.users[0])
	}
	return logRef{id: "system", typ: "SystemPrincipal", alternateID: "system@okta.com", displayName: "Okta System"}
}

// buildLog fills the System Log with the company's Okta evidence: SSO
// sign-ins (user.authentication.sso), OAuth consents
// (app.oauth2.as.consent.grant), and the deactivations and suspensions of
// the last 90 days; in published order.
func buildLog(c *providersim.Company, o *org, byPerson func(int) *user, appByKey map[string]*app, admin logRef) *systemLog {
	var evs []*logEvent
	for i := range c.SignIns {
		si := &c.SignIns[i]
		u, a := byPerson(si.Person), appByKey[si.App]
		if si.Provider != providersim.Okta || u == nil || a == nil {
			continue
		}
		e := ssoEvent(u, a, si.Success)
		e.published, e.ip, e.userAgent = si.At, si.IP, si.UserAgent
		evs = append(evs, e)
	}
	for i := range c.OAuthGrants {
		g := &c.OAuthGrants[i]
		u, a := byPerson(g.Person), appByKey[g.App]
		if g.Provider != providersim.Okta || u == nil || a == nil {
			continue
		}
		e := consentEvent(u, a, g.Scopes)
		e.published = g.At
		evs = append(evs, e)
	}
	oldest := c.Now.Add(-retention)
	for _, u := range o.users {
		if u.statusChanged.Before(oldest) {
			continue
		}
		switch u.status {
		case "DEPROVISIONED":
			evs = append(evs, lifecycleEvent("user.lifecycle.deactivate", "Deactivate Okta user", admin, u, u.statusChanged))
		case "SUSPENDED":
			evs = append(evs, lifecycleEvent("user.lifecycle.suspend", "Suspend Okta user", admin, u, u.statusChanged))
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].published.Before(evs[j].published) })
	l := &systemLog{events: make([]*logEvent, 0, len(evs)), byTime: make([]*logEvent, 0, len(evs))}
	for _, e := range evs {
		e.stored = e.published
		if e.severity == "" {
			e.severity = "INFO"
		}
		if e.outcome == "" {
			e.outcome = "SUCCESS"
		}
		e.seq = int64(len(l.events) + 1)
		l.events = append(l.events, e)
		l.byTime = append(l.byTime, e) // already in (published, seq) order
	}
	return l
}

func lifecycleEvent(typ, msg string, actor logRef, u *user, at time.Time) *logEvent {
	return &logEvent{eventType: typ, displayMessage: msg, actor: actor, targets: []logRef{userRef(u)}, published: at}
}

func ssoEvent(u *user, a *app, success bool) *logEvent {
	e := &logEvent{eventType: "user.authentication.sso", displayMessage: "User single sign on to app",
		actor: userRef(u), targets: []logRef{appRef(a), appUserRef(u)}}
	if !success {
		e.outcome, e.reason = "FAILURE", "VERIFICATION_ERROR"
	}
	return e
}

func consentEvent(u *user, a *app, scopes []string) *logEvent {
	sc := strings.Join(scopes, " ")
	return &logEvent{eventType: "app.oauth2.as.consent.grant", displayMessage: "User granted consent to app",
		actor: userRef(u), targets: []logRef{
			{id: a.clientID, typ: "PublicClientApp", alternateID: a.label, displayName: a.label},
			{id: a.id, typ: "AppInstance", alternateID: a.label, displayName: a.label},
		},
		debug: []kv{{"clientId", a.clientID}, {"grantedScopes", sc}, {"requestedScopes", sc}}}
}
