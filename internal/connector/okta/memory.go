package okta

import (
	"hash/maphash"
	"slices"
)

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
	// appGroupLists holds every app's assigned groups, read at the start of the groups stage, and assigned the
	// groups in them: the groups stage indexes the members of those groups only. nil when not read (a groups
	// stage resumed by this Source, or a listing refused): every group read is indexed.
	appGroupLists map[string][]string
	assigned      map[string]bool
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
	// userPageIDs counts the ids kept in userPages, at most maxUserPageIDs; lastUserPage is the page the factors
	// stage read last (beyond the bound).
	userPageIDs  int
	lastUserPage *struct {
		token string
		page  userPage
	}
}

// maxUserPageIDs bounds the users the users stage keeps for the factors stage (about 0.5 MiB): beyond it, the
// factors stage lists the users pages it walks again, so that memory does not grow with the org.
const maxUserPageIDs = 10000

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
	return memory{userPages: map[string]userPage{}, members: newMembership()}
}

// keepUserPage keeps a users page's ids for the factors stage while they fit in maxUserPageIDs.
func (m *memory) keepUserPage(token string, up userPage) {
	if _, ok := m.userPages[token]; ok || m.userPageIDs+len(up.ids) > maxUserPageIDs {
		return
	}
	m.userPages[token] = up
	m.userPageIDs += len(up.ids)
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

// membership indexes the members of the groups whose members were read, for the app assignments that come
// through a group. It holds 8 bytes per membership (a 64-bit hash of the user id, sorted per group once the
// group is complete) and nothing per user, so that the full sync's memory does not grow with a copy of every user
// id. Two ids of an org sharing a hash (about 1 in 10^8 for a million ids) would only name a wrong group on an
// assignment that is through a group anyway.
type membership struct {
	groupIdx map[string]uint32
	groups   []string
	// members holds the hashed member ids of each group read (in part); complete: all were read (and sorted).
	members  map[uint32][]uint64
	complete map[uint32]bool
}

func newMembership() membership {
	return membership{groupIdx: map[string]uint32{}, members: map[uint32][]uint64{}, complete: map[uint32]bool{}}
}

var memberSeed = maphash.MakeSeed()

func memberKey(user string) uint64 { return maphash.String(memberSeed, user) }

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
	m.members[g] = append(m.members[g], memberKey(user))
}

// reset forgets a group's members before they are read again.
func (m *membership) reset(group string) {
	g := m.idx(group)
	delete(m.complete, g)
	delete(m.members, g)
}

// markComplete says every member of group was read: its members are sorted (and trimmed) for look-ups.
func (m *membership) markComplete(group string) {
	g := m.idx(group)
	ks := m.members[g]
	slices.Sort(ks)
	ks = slices.Compact(ks)
	m.members[g] = append(make([]uint64, 0, len(ks)), ks...) // without the slack appending left
	m.complete[g] = true
}

func (m *membership) isComplete(group string) bool {
	g, ok := m.groupIdx[group]
	return ok && m.complete[g]
}

// via returns the groups among candidates, read completely, that user is in.
func (m *membership) via(user string, candidates []string) []string {
	k := memberKey(user)
	var out []string
	for _, c := range candidates {
		g, ok := m.groupIdx[c]
		if !ok || !m.complete[g] {
			continue
		}
		if _, found := slices.BinarySearch(m.members[g], k); found {
			out = append(out, c)
		}
	}
	return out
}
