package postgres_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/open-sspm/open-sspm/"

// The store depends on the domain (sspm, identity), its generated queries and its own infrastructure libraries,
// never on the rules engine, the alert senders, the connectors or the lanes; and the domain depends on the
// standard library alone. Either would otherwise drag the store into every change of those packages.
func TestStoreImportsOnlyTheDomain(t *testing.T) {
	tests := []struct {
		dir     string
		allowed []string // import paths or path prefixes (ending in "/") besides the standard library
	}{
		{".", []string{module + "internal/sspm", module + "internal/identity", module + "internal/postgres/sqlgen",
			"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/", "github.com/pressly/goose/v3", "github.com/pressly/goose/v3/",
			"golang.org/x/sync/"}},
		{"sqlgen", []string{"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/"}},
		{"../sspm", nil},
		{"../identity", nil},
	}
	for _, tt := range tests {
		files, err := filepath.Glob(filepath.Join(tt.dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", tt.dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, spec := range parsed.Imports {
				path, _ := strconv.Unquote(spec.Path.Value)
				if !allowedImport(path, tt.allowed) {
					t.Errorf("%s imports %s", f, path)
				}
			}
		}
	}
}

func allowedImport(path string, allowed []string) bool {
	if first, _, _ := strings.Cut(path, "/"); !strings.Contains(first, ".") {
		return true // the standard library
	}
	for _, a := range allowed {
		if path == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(path, a)) {
			return true
		}
	}
	return false
}
