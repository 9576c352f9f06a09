package okta

import "slices"

// memory is what a Source learned during this invocation. Everything in it can be rebuilt from the API, so a
// Source that resumes another invocation's cursor starts empty and reads what it misses.
type memory struct {
	// admins holds the users with an admin role (from /api/v1/iam/assignees/users), nil until loaded;
	// adminList is the same, in listing order.
	admins    map[string]bool
	adminList []string
	// userPages maps the `after` token of a users page (the default listing) to the users on it worth a factor
	// read, so the factors stage walks users without listing them again.
	userPages map[string]userPage
	// groupPage and appPage are the parent pages the groups and apps stages are walking.
	groupPage *parentPage
	appPage   *parentPage
	// members indexes group memberships, so that app assignments that come through a group name the group.
	members membership
	// appGroups are the groups assigned to the app the apps stage is reading.
	appGroupsOf string
	appGroups   []string
	// viaUnknown: group members answered 403, so which assigned group an app user came through is unknown and
	// only direct assignments are emitted (the run marks grants unavailable).
	viaUnknown bool
	// apps lists every app with its access policy (for okta:policies/app-signin), once complete.
	apps         []appRef
	appsFromTop  bool // the apps stage started at the first page in this invocation
	appsComplete bool
	// appDomains maps app ids to their domain (discovery evidence).
	appDomains map[string]appRef
	// intern keeps one copy of each user id string.
	intern map[string]string
}

type userPage struct {
	ids  []string
	next string
}

// parentPage is a page of a parent listing: the token that reads it, its ids and the next page's token.
type parentPage struct {
	token string
	ids   []string
	next  string
}

// appRef is what other datasets need of an app.
type appRef struct {
	ID, Label, Name, Domain, AccessPolicy string
}

func newMemory() memory {
	return memory{userPages: map[string]userPage{}, members: newMembership(), intern: map[string]string{}}
}

// internID returns a shared copy of id.
func (m *memory) internID(id []byte) string {
	if s, ok := m.intern[string(id)]; ok {
		return s
	}
	s := string(id)
	m.intern[s] = s
	return s
}

// locate returns where to continue in ids: at index when the id there is still id, else where id moved to, else
// index (the page changed under us; continue by position).
func locate(ids []string, index int, id string) int {
	if id == "" || (index < len(ids) && ids[index] == id) {
		return min(index, len(ids))
	}
	if i := slices.Index(ids, id); i >= 0 {
		return i
	}
	return min(index, len(ids))
}

// membership indexes which groups each user is in, for the groups whose members were all read.
type membership struct {
	groupIdx   map[string]uint32
	groups     []string
	userGroups map[string][]uint32
	// started: some members were indexed; complete: all were.
	started, complete map[uint32]bool
}

func newMembership() membership {
	return membership{groupIdx: map[string]uint32{}, userGroups: map[string][]uint32{},
		started: map[uint32]bool{}, complete: map[uint32]bool{}}
}

func (m *membership) idx(group string) uint32 {
	i, ok := m.groupIdx[group]
	if !ok {
		i = uint32(len(m.groups))
		m.groups = append(m.groups, group)
		m.groupIdx[group] = i
	}
	return i
}

// add records that user is in group.
func (m *membership) add(group, user string) {
	g := m.idx(group)
	m.started[g] = true
	gs := m.userGroups[user]
	if !slices.Contains(gs, g) {
		m.userGroups[user] = append(gs, g)
	}
}

// reset forgets a group's members before they are read again. Only a group read part-way costs a scan.
func (m *membership) reset(group string) {
	g := m.idx(group)
	delete(m.complete, g)
	if !m.started[g] {
		return
	}
	delete(m.started, g)
	for u, gs := range m.userGroups {
		if i := slices.Index(gs, g); i >= 0 {
			m.userGroups[u] = slices.Delete(gs, i, i+1)
		}
	}
}

func (m *membership) markComplete(group string) { m.complete[m.idx(group)] = true }

func (m *membership) isComplete(group string) bool {
	g, ok := m.groupIdx[group]
	return ok && m.complete[g]
}

// via returns the groups among candidates that user is in.
func (m *membership) via(user string, candidates []string) []string {
	gs := m.userGroups[user]
	var out []string
	for _, c := range candidates {
		if g, ok := m.groupIdx[c]; ok && slices.Contains(gs, g) {
			out = append(out, c)
		}
	}
	return out
}
