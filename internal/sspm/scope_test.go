package sspm_test

import (
	"maps"
	"testing"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestScopedEntityRoundTrips: a scope reads back as its entity and columns, values with the separators
// included; whole entities and datasets have no scope; a malformed scope is reported.
func TestScopedEntityRoundTrips(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give sspm.Entity
		want sspm.Entity
		cols map[string]string
	}{
		{give: sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": "github_pat"}), want: sspm.EntityCredentials, cols: map[string]string{"kind": "github_pat"}},
		{give: sspm.ScopedEntity(sspm.EntityGrants, map[string]string{"via": "team", "via_external_id": "a]b,c=d&e"}), want: sspm.EntityGrants,
			cols: map[string]string{"via": "team", "via_external_id": "a]b,c=d&e"}},
		{give: sspm.EntityAccounts, want: sspm.EntityAccounts},
		{give: sspm.DatasetEntity("password_policies"), want: "dataset:password_policies"},
	}
	for _, tt := range tests {
		e, cols, ok := sspm.ParseScope(string(tt.give))
		if !ok || e != tt.want || !maps.Equal(cols, tt.cols) {
			t.Errorf("ParseScope(%q) = %q %v %v, want %q %v", tt.give, e, cols, ok, tt.want, tt.cols)
		}
	}
	if got := sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": "github_pat"}); got != "credentials[kind=github_pat]" {
		t.Errorf("ScopedEntity = %q", got)
	}
	for _, bad := range []string{"grants[via=team", "grants[]", "grants[%zz=1]"} {
		if _, _, ok := sspm.ParseScope(bad); ok {
			t.Errorf("ParseScope(%q) accepted a malformed scope", bad)
		}
	}
}
