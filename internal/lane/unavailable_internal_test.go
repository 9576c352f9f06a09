package lane

import (
	"fmt"
	"slices"
	"testing"
)

// TestAddUnavailable: entries are listed once; a whole entity subsumes its scopes; past maxScopes scopes of one
// entity the whole entity is listed instead; datasets and other entities are left alone.
func TestAddUnavailable(t *testing.T) {
	t.Parallel()
	var list []string
	for _, u := range []string{"credentials[kind=github_pat]", "credentials[kind=github_pat]", "dataset:x", "grants[via=team]", "grants"} {
		list = addUnavailable(list, u)
	}
	if want := []string{"credentials[kind=github_pat]", "dataset:x", "grants"}; !slices.Equal(list, want) {
		t.Fatalf("list = %v, want %v", list, want)
	}
	if list = addUnavailable(list, "grants[via=team]"); len(list) != 3 {
		t.Fatalf("a scope of a whole entity listed: %v", list)
	}
	for i := range maxScopes + 5 {
		list = addUnavailable(list, fmt.Sprintf("group_members[group_external_id=%d]", i))
	}
	if want := []string{"credentials[kind=github_pat]", "dataset:x", "grants", "group_members"}; !slices.Equal(list, want) {
		t.Fatalf("after %d scopes of group_members: %v, want %v", maxScopes+5, list, want)
	}
}
