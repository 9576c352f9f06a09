// Package docs holds the documentation pages; its test keeps the connector pages in step with the code.
package docs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector"
	awsidc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/okta"
)

// Every connector kind has docs/connectors/<kind>.md (the admin UI links each connector form to it), the page
// names every permission the form lists, and kinds that take pushes say where they arrive.
func TestEveryKindHasItsPage(t *testing.T) {
	kinds := []connector.Kind{okta.NewKind(okta.Options{}), github.NewKind(github.Options{}), google.NewKind(google.Options{}), awsidc.NewKind(awsidc.Options{}), datadog.NewKind(datadog.Options{})}
	for _, k := range kinds {
		b, err := os.ReadFile(filepath.Join("connectors", string(k.Kind)+".md"))
		if err != nil {
			t.Errorf("kind %s has no page: %v", k.Kind, err)
			continue
		}
		page := string(b)
		for _, s := range k.Scopes {
			if !strings.Contains(page, s) {
				t.Errorf("connectors/%s.md does not explain the permission %q its form lists", k.Kind, s)
			}
		}
		if k.Push != nil && !strings.Contains(page, "/hooks/"+string(k.Kind)+"/") {
			t.Errorf("connectors/%s.md does not give the webhook URL /hooks/%s/<connector id>", k.Kind, k.Kind)
		}
		if k.NewStreams != nil && !strings.Contains(page, "| tail |") {
			t.Errorf("connectors/%s.md does not describe its tail lane", k.Kind)
		}
	}
	realtime, err := os.ReadFile("realtime.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if !strings.Contains(string(realtime), "(connectors/"+string(k.Kind)+".md)") {
			t.Errorf("realtime.md has no row for %s", k.Kind)
		}
	}
}
