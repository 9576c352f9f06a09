package googlesim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// Applications the simulator records activities for.
const (
	AppLogin = "login"
	AppToken = "token"
	AppAdmin = "admin"
	AppSAML  = "saml"
)

// applicationNames are the values Reports accepts for applicationName (a subset of Google's enum; the
// simulator has activities for AppLogin, AppToken, AppAdmin and AppSAML only).
var applicationNames = []string{"access_transparency", "admin", "calendar", "chat", "drive", "gcp", "gplus",
	"groups", "groups_enterprise", "jamboard", "login", "meet", "mobile", "rules", "saml", "token",
	"user_accounts", "context_aware_access", "chrome", "data_studio", "keep"}

// Activity is a Reports API activity.
type Activity struct {
	Kind        string     `json:"kind"`
	ID          ActivityID `json:"id"`
	Etag        string     `json:"etag"`
	Actor       Actor      `json:"actor"`
	IPAddress   string     `json:"ipAddress,omitempty"`
	OwnerDomain string     `json:"ownerDomain,omitempty"`
	Events      []Event    `json:"events"`

	at time.Time
	uq int64
}

// ActivityID identifies an activity: time and uniqueQualifier together.
type ActivityID struct {
	Time            string `json:"time"`
	UniqueQualifier string `json:"uniqueQualifier"`
	ApplicationName string `json:"applicationName"`
	CustomerID      string `json:"customerId"`
}

// Actor is who performed an activity.
type Actor struct {
	CallerType string `json:"callerType,omitempty"`
	Email      string `json:"email,omitempty"`
	ProfileID  string `json:"profileId,omitempty"`
}

// Event is one event of an activity.
type Event struct {
	Type       string      `json:"type"`
	Name       string      `json:"name"`
	Parameters []Parameter `json:"parameters,omitempty"`
}

// Parameter is an event parameter: one of value, multiValue, boolValue, intValue is set.
type Parameter struct {
	Name       string   `json:"name"`
	Value      string   `json:"value,omitempty"`
	MultiValue []string `json:"multiValue,omitempty"`
	BoolValue  *bool    `json:"boolValue,omitempty"`
	IntValue   string   `json:"intValue,omitempty"`
}

func str(name, v string) Parameter { return Parameter{Name: name, Value: v} }

func boolean(name string, v bool) Parameter { return Parameter{Name: name, BoolValue: &v} }

// activityLog holds each application's activities, oldest first (listings walk it backwards: newest first).
type activityLog struct {
	seed     int64
	customer string
	domain   string
	apps     map[string][]*Activity
	seq      uint64
	building bool // add appends; buildActivities sorts at the end
}

// buildActivities records the company's history as activities: sign-ins (login), OAuth grants and "Sign in
// with Google" (token), SAML sign-ins to apps (saml) and user and role changes (admin).
func buildActivities(c *providersim.Company, d *directory) *activityLog {
	l := &activityLog{seed: c.Config.Seed, customer: d.customerID, domain: c.Domain, apps: map[string][]*Activity{}, building: true}
	defer func() {
		for _, list := range l.apps {
			slices.SortStableFunc(list, func(a, b *Activity) int {
				switch {
				case newer(b, a):
					return -1
				case newer(a, b):
					return 1
				}
				return 0
			})
		}
		l.building = false
	}()
	since := c.Now.Add(-c.Config.History)
	byPerson := map[int]*User{}
	for _, u := range d.users {
		byPerson[u.person] = u
	}
	admin := d.users[max(d.superAdmin, 0)]
	for _, u := range d.users {
		p := &c.People[u.person]
		if t := p.LastLogin; !t.IsZero() && t.After(since) && !u.deleted {
			l.add(AppLogin, u, t, "203.0.113."+strconv.Itoa(1+u.person%254), loginEvent("login_success", u))
		}
		if t := p.Created; t.After(since) {
			l.add(AppAdmin, admin, t, "198.51.100.7", Event{Type: "USER_SETTINGS", Name: "CREATE_USER", Parameters: []Parameter{str("USER_EMAIL", u.PrimaryEmail)}})
		}
		if u.Suspended && p.StatusChanged.After(since) {
			l.add(AppAdmin, admin, p.StatusChanged, "198.51.100.7", Event{Type: "USER_SETTINGS", Name: "SUSPEND_USER", Parameters: []Parameter{str("USER_EMAIL", u.PrimaryEmail)}})
		}
		if u.deleted && p.LeftAt.After(since) {
			l.add(AppAdmin, admin, p.LeftAt, "198.51.100.7", Event{Type: "USER_SETTINGS", Name: "DELETE_USER", Parameters: []Parameter{str("USER_EMAIL", u.PrimaryEmail)}})
		}
	}
	roleName := map[string]string{}
	for _, r := range d.roles {
		roleName[r.RoleID] = r.RoleName
	}
	for i, a := range d.assigns {
		at := c.Now.Add(-time.Duration(i%25+1)*24*time.Hour - time.Duration(i)*time.Hour)
		if !at.After(since) {
			continue
		}
		who := str("USER_EMAIL", a.AssignedTo)
		if u, ok := d.user(a.AssignedTo); ok {
			who = str("USER_EMAIL", u.PrimaryEmail)
		} else if g, ok := d.group(a.AssignedTo); ok {
			who = str("GROUP_EMAIL", g.Email)
		}
		l.add(AppAdmin, admin, at, "198.51.100.7", Event{Type: "DELEGATED_ADMIN_SETTINGS", Name: "ASSIGN_ROLE",
			Parameters: []Parameter{str("ROLE_NAME", roleName[a.RoleID]), who}})
	}
	for i, si := range c.SignIns {
		u, ok := byPerson[si.Person]
		if si.Provider != providersim.Google || !ok || u.deleted {
			continue
		}
		name := appName(c, si.App)
		if i%2 == 0 {
			l.add(AppToken, u, si.At, si.IP, authorizeEvent(ClientID(l.seed, si.App), name, []string{"openid", "email", "profile"}))
			continue
		}
		status := "SUCCESS_URI"
		ev := "login_success"
		if !si.Success {
			status, ev = "urn:oasis:names:tc:SAML:2.0:status:Requester", "login_failure"
		}
		l.add(AppSAML, u, si.At, si.IP, Event{Type: "login", Name: ev, Parameters: []Parameter{
			str("application_name", name), str("initiated_by", "sp"), str("orgunit_path", u.OrgUnitPath), str("saml_status_code", status)}})
	}
	for _, g := range c.OAuthGrants {
		u, ok := byPerson[g.Person]
		if g.Provider != providersim.Google || !ok || u.deleted {
			continue
		}
		l.add(AppToken, u, g.At, "203.0.113.9", authorizeEvent(ClientID(l.seed, g.App), appName(c, g.App), g.Scopes))
	}
	return l
}

func loginEvent(name string, u *User) Event {
	methods := []string{"password"}
	if u.IsEnrolledIn2Sv {
		methods = append(methods, "google_authenticator")
	}
	return Event{Type: "login", Name: name, Parameters: []Parameter{str("login_type", "google_password"),
		{Name: "login_challenge_method", MultiValue: methods}, boolean("is_suspicious", false)}}
}

func authorizeEvent(clientID, appName string, scopes []string) Event {
	return Event{Type: "auth", Name: "authorize", Parameters: []Parameter{str("client_id", clientID), str("app_name", appName),
		str("client_type", "WEB"), {Name: "scope", MultiValue: slices.Clone(scopes)}}}
}

// add records an activity of app by actor at t, visible at once (the server applies Options.Lag when listing).
func (l *activityLog) add(app string, actor *User, at time.Time, ip string, ev Event) *Activity {
	l.seq++
	uq := int64(mix(l.seed, kindActivity, l.seq) >> 1)
	if l.seq%3 == 0 {
		uq = -uq // Google's unique qualifiers are signed
	}
	a := &Activity{Kind: "admin#reports#activity", Etag: etag(l.seed, 1<<44+l.seq), at: at.UTC(), uq: uq,
		ID:    ActivityID{Time: rfc3339(at), UniqueQualifier: strconv.FormatInt(uq, 10), ApplicationName: app, CustomerID: l.customer},
		Actor: Actor{CallerType: "USER", Email: actor.PrimaryEmail, ProfileID: actor.ID}, IPAddress: ip, OwnerDomain: l.domain,
		Events: []Event{ev}}
	list := l.apps[app] // oldest first, so that recording now appends
	if l.building {
		l.apps[app] = append(list, a)
		return a
	}
	i := len(list)
	for i > 0 && newer(list[i-1], a) {
		i--
	}
	l.apps[app] = slices.Insert(list, i, a)
	return a
}

// newer orders activities newest first: by time, then by unique qualifier.
func newer(a, b *Activity) bool {
	if !a.at.Equal(b.at) {
		return a.at.After(b.at)
	}
	return a.uq > b.uq
}

func (s *Server) listActivities(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	app := r.PathValue("applicationName")
	if !slices.Contains(applicationNames, app) {
		badRequest(w, "Invalid value '"+app+"'. Values must match the following regular expression: '("+strings.Join(applicationNames, ")|(")+")'")
		return
	}
	offset, size, ok := s.window(w, r, 1000, 1000)
	if !ok {
		return
	}
	now := s.now()
	start, end := time.Time{}, now
	if v := q.Get("startTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			badRequest(w, "Invalid value for startTime: "+v)
			return
		}
		if t.After(now) {
			badRequest(w, "Start time can not be later than current time.")
			return
		}
		start = t
	}
	if v := q.Get("endTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			badRequest(w, "Invalid value for endTime: "+v)
			return
		}
		end = t
	}
	if end.Before(start) {
		badRequest(w, "Start time must be earlier than end time.")
		return
	}
	if start.Before(now.Add(-180 * 24 * time.Hour)) {
		start = now.Add(-180 * 24 * time.Hour) // retention
	}
	lag := s.opts.Lag[app]
	userKey, eventName := r.PathValue("userKey"), q.Get("eventName")
	s.mu.RLock()
	defer s.mu.RUnlock()
	if userKey != "all" {
		u, ok := s.dir.user(userKey)
		if !ok {
			badRequest(w, "Bad Request: userKey")
			return
		}
		userKey = u.ID
	}
	var out []*Activity
	list := s.log.apps[app]
	for i := len(list) - 1; i >= 0; i-- {
		a := list[i]
		if a.at.Before(start) || a.at.After(end) || a.at.Add(lag).After(now) {
			continue
		}
		if userKey != "all" && a.Actor.ProfileID != userKey {
			continue
		}
		if eventName != "" && !slices.ContainsFunc(a.Events, func(e Event) bool { return e.Name == eventName }) {
			continue
		}
		out = append(out, a)
	}
	writePage(s, w, r, c, "admin#reports#activities", "items", out, offset, size)
}
