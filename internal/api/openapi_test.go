package api_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-sspm/open-sspm/internal/api"
)

// The SPA's client types are generated from frontend/src/api/openapi.json (npm run gen:api); this fails when
// the checked-in document is not what the code serves.
func TestOpenAPIDocumentIsCurrent(t *testing.T) {
	t.Parallel()
	var want bytes.Buffer
	if err := api.WriteOpenAPI(&want); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "frontend", "src", "api", "openapi.json")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (run `cd frontend && npm run gen:api`)", path, err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("%s is stale: run `cd frontend && npm run gen:api` and commit the result", path)
	}
	var again bytes.Buffer
	if err := api.WriteOpenAPI(&again); err != nil || !bytes.Equal(again.Bytes(), want.Bytes()) {
		t.Fatalf("the document is not deterministic (%v)", err)
	}
}
