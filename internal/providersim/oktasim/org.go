package oktasim

import (
	"sort"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// org is the simulated Okta org: every object the API serves. It is guarded
// by Server.mu.
type org struct {
	id        string
	name      string
	subdomain string
	created   time.Time
	seqs      map[string]int64 // last sequence number per id prefix

	users       []*user // ascending seq (= id order)
	userByID    map[string]*user
	userByLogin map[string]*user // lower-case login
	groups      []*group         // ascending seq
	groupByID   map[string]*group
	everyone    *group
	apps        []*app // ascending seq
	appByID     map[string]*app

	policies       []*policy
	policyByID     map[string]*policy
	authenticators []*authenticator
	logStreams     []*logStream
	brands         []*brand
	adminConsole   adminConsoleSettings
	userTypeID     string
}

// next returns the next id of the prefix's type.
func (o *org) next(ids idMaker, prefix string) (int64, string) {
	o.seqs[prefix]++
	n := o.seqs[prefix]
	return n, ids.id(prefix, n)
}

// user is an Okta user.
type user struct {
	seq                               int64
	id                                string
	person                            int // index in the company, -1 for users added later
	status                            string
	created, activated, statusChanged time.Time
	lastLogin, lastUpdated            time.Time
	passwordChanged                   time.Time
	p                                 profile
	credProvider, credProviderName    string

	groups  []*group
	apps    []*app
	factors []*factor
	roles   []*role
}

// profile is the Okta default user profile (the attributes we fill).
type profile struct {
	login, email, secondEmail                  string
	firstName, lastName, displayName           string
	department, title, employeeNumber          string
	userType, manager, managerID, organization string
	city, mobilePhone                          string
}

// group is an Okta group.
type group struct {
	seq                                         int64
	id, typ, name, description                  string
	created, lastUpdated, lastMembershipUpdated time.Time
	members                                     []*user // ascending seq
	apps                                        []*app
	roles                                       []*role
}

// app is an Okta app integration.
type app struct {
	seq                                 int64
	id, name, label, status, signOnMode string
	created, lastUpdated                time.Time
	domain, signOnURL, clientID         string
	accessPolicy                        *policy
	firstParty                          bool
	users                               []*appUser  // ascending user seq
	groups                              []*appGroup // ascending group seq
	grants                              []*scopeGrant
}

// appUser is a user's assignment to an app: direct, through groups, or both.
type appUser struct {
	u                                   *user
	direct                              bool
	via                                 int // number of assigned groups the user is in
	created, lastUpdated, statusChanged time.Time
}

// appGroup is a group's assignment to an app.
type appGroup struct {
	g           *group
	priority    int
	lastUpdated time.Time
}

// scopeGrant is an Okta API scope granted to an app.
type scopeGrant struct {
	id, scope, source string
	created           time.Time
}

// role is an admin role assignment.
type role struct {
	id, typ, label, assignmentType string
	created                        time.Time
	via                            *group // for assignmentType GROUP
}

// factor is an enrolled MFA factor.
type factor struct {
	id, typ, provider, vendorName, status string
	created, lastUpdated                  time.Time
	phone, email                          string
}

// seqOf helpers give the sort keys of the ordered slices.
func userSeq(u *user) int64        { return u.seq }
func groupSeq(g *group) int64      { return g.seq }
func appSeq(a *app) int64          { return a.seq }
func appUserSeq(au *appUser) int64 { return au.u.seq }
func appGroupSeq(ag *appGroup) int64 {
	return ag.g.seq
}

// searchSeq returns the position of seq in s (ascending by key), and whether
// it is there.
func searchSeq[T any](s []T, seq int64, key func(T) int64) (int, bool) {
	i := sort.Search(len(s), func(i int) bool { return key(s[i]) >= seq })
	return i, i < len(s) && key(s[i]) == seq
}

// insertSeq inserts v in order; it returns false when v's key is present.
func insertSeq[T any](s []T, v T, key func(T) int64) ([]T, bool) {
	i, found := searchSeq(s, key(v), key)
	if found {
		return s, false
	}
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s, true
}

// removeSeq removes the element with the key; it returns false when absent.
func removeSeq[T any](s []T, seq int64, key func(T) int64) ([]T, bool) {
	i, found := searchSeq(s, seq, key)
	if !found {
		return s, false
	}
	copy(s[i:], s[i+1:])
	var zero T
	s[len(s)-1] = zero
	return s[:len(s)-1], true
}

// removePtr removes v from an unordered slice of pointers.
func removePtr[T comparable](s []T, v T) []T {
	for i, x := range s {
		if x == v {
			s[i] = s[len(s)-1]
			var zero T
			s[len(s)-1] = zero
			return s[:len(s)-1]
		}
	}
	return s
}

// afterKey returns the position just after the item whose key is the
// cursor's (ids encode seq, so parse the id's sequence part).
func afterKey[T any](s []T, after string, key func(T) int64) int {
	if after == "" {
		return 0
	}
	seq, ok := seqFromID(after)
	if !ok {
		return len(s)
	}
	i, found := searchSeq(s, seq, key)
	if found {
		i++
	}
	return i
}

// seqFromID decodes the base62 sequence part of an id made by idMaker.
func seqFromID(id string) (int64, bool) {
	if len(id) != 20 {
		return 0, false
	}
	var n int64
	for _, c := range id[3:13] {
		d := strings.IndexRune(base62, c)
		if d < 0 {
			return 0, false
		}
		n = n*62 + int64(d)
	}
	return n, true
}

// roleLabels maps neutral admin roles to Okta role types and labels.
func roleType(r providersim.AdminRole) (typ, label string) {
	switch r {
	case providersim.SuperAdmin:
		return "SUPER_ADMIN", "Super Administrator"
	case providersim.OrgAdmin:
		return "ORG_ADMIN", "Organizational Administrator"
	case providersim.AppAdmin:
		return "APP_ADMIN", "Application Administrator"
	case providersim.UserAdmin:
		return "USER_ADMIN", "Group Administrator"
	case providersim.HelpDeskAdmin:
		return "HELP_DESK_ADMIN", "Help Desk Administrator"
	}
	return "READ_ONLY_ADMIN", "Read-only Administrator"
}
