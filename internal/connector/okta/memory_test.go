package okta

import (
	"fmt"
	"slices"
	"testing"
)

// TestMembershipIndex: the index answers which candidate groups a user is in, only for groups read completely,
// forgets a group read again, and holds 8 bytes per membership and nothing per user.
func TestMembershipIndex(t *testing.T) {
	m := newMembership()
	for i := range 1000 {
		m.add("g1", fmt.Sprintf("00u%05d", i))
		if i%2 == 0 {
			m.add("g2", fmt.Sprintf("00u%05d", i))
		}
	}
	m.add("g1", "00u00001") // a member listed twice (the listing moved under us)
	m.add("g3", "00u00004") // never completed
	m.markComplete("g1")
	m.markComplete("g2")
	tests := []struct {
		user string
		want []string
	}{
		{"00u00004", []string{"g1", "g2"}},
		{"00u00003", []string{"g1"}},
		{"00u99999", nil},
	}
	for _, tt := range tests {
		if got := m.via(tt.user, []string{"g1", "g2", "g3", "unknown"}); !slices.Equal(got, tt.want) {
			t.Errorf("via(%s) = %v, want %v", tt.user, got, tt.want)
		}
	}
	if n := len(m.members[m.groupIdx["g1"]]); n != 1000 || cap(m.members[m.groupIdx["g1"]]) != 1000 {
		t.Errorf("g1 holds %d keys in %d, want 1000 in 1000", n, cap(m.members[m.groupIdx["g1"]]))
	}
	m.reset("g2")
	if got := m.via("00u00004", []string{"g2"}); got != nil || m.isComplete("g2") {
		t.Errorf("a group read again answers %v before it is complete", got)
	}
}

// TestUserPagesAreBounded: the users kept for the factors stage stop at maxUserPageIDs.
func TestUserPagesAreBounded(t *testing.T) {
	m := newMemory()
	ids := make([]string, 200)
	for p := range 100 {
		m.keepUserPage(fmt.Sprint(p), userPage{ids: ids})
	}
	if m.userPageIDs > maxUserPageIDs || len(m.userPages) != maxUserPageIDs/200 {
		t.Fatalf("%d ids in %d pages kept, want at most %d", m.userPageIDs, len(m.userPages), maxUserPageIDs)
	}
}
