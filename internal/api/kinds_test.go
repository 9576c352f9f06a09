package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/open-sspm/open-sspm/internal/api"
)

func TestKindsCarryTheirFormSchemaAndScopes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var kinds []api.Kind
	b.must(http.StatusOK, http.MethodGet, "/api/kinds", b.viewer, nil, &kinds)
	if len(kinds) != 1 || kinds[0].Kind != "test" || !kinds[0].Push || !kinds[0].PushRegistration || !kinds[0].Streams || !kinds[0].Inventory {
		t.Fatalf("kinds = %+v", kinds)
	}
	got, _ := json.Marshal(kinds[0].ConfigSchema)
	if string(got) != `{"properties":{"url":{"type":"string"}},"required":["url"],"type":"object"}` ||
		len(kinds[0].Scopes) != 1 || kinds[0].Scopes[0] != "read:all" {
		t.Fatalf("schema %s, scopes %v", got, kinds[0].Scopes)
	}
}
