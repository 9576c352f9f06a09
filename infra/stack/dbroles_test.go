package stack

import (
	"net/url"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/postgres"
)

// TestDatabaseRoles: every function but migrate signs in as its own database role (the one the migrate function
// creates: postgres.FunctionRoles) with IAM authentication, may rds-db:connect as that role only, and gets no
// access to the master secret; migrate alone has the secret.
func TestDatabaseRoles(t *testing.T) {
	for _, spec := range functionSpecs {
		t.Run(spec.name, func(t *testing.T) {
			id := logicalIDOf(t, "AWS::Lambda::Function", spec.id+"Function")
			env := props(resources("AWS::Lambda::Function")[id])["Environment"].(map[string]any)["Variables"].(map[string]any)
			connects := statementsOf(spec, "rds-db:connect")
			if spec.name == fnMigrate {
				if env["DATABASE_SECRET_ARN"] == nil || env["DATABASE_URL"] != nil {
					t.Errorf("migrate: environment %v, want the master secret and no URL", sortedKeys(env))
				}
				if len(connects) != 0 {
					t.Errorf("migrate may rds-db:connect: %v", connects)
				}
				return
			}
			role, ok := postgres.FunctionRoles[spec.name]
			if !ok {
				t.Fatalf("no database role for %s in postgres.FunctionRoles", spec.name)
			}
			if env["DATABASE_SECRET_ARN"] != nil || env["DATABASE_IAM_AUTH"] != "1" {
				t.Errorf("environment %v, want DATABASE_IAM_AUTH=1 and no DATABASE_SECRET_ARN", sortedKeys(env))
			}
			dbURL := asJSON(env["DATABASE_URL"])
			if !strings.Contains(dbURL, `postgres://`+role.Name+`@`) || strings.Contains(dbURL, ":"+role.Name+"@") {
				t.Errorf("DATABASE_URL %s, want role %s without a password", dbURL, role.Name)
			}
			if u, err := url.Parse("postgres://" + role.Name + "@h/postgres"); err != nil || u.User.Username() != role.Name {
				t.Errorf("role %q does not fit in a URL's user", role.Name)
			}
			if len(connects) != 1 {
				t.Fatalf("rds-db:connect statements %v, want one", connects)
			}
			if !strings.Contains(connects[0], `/`+role.Name+`"`) || !strings.Contains(connects[0], "dbuser:") {
				t.Errorf("rds-db:connect on %s, want the dbuser %s only", connects[0], role.Name)
			}
		})
	}
}

// statementsOf returns the Resource JSON of every Allow statement of spec's role that grants action.
func statementsOf(spec functionSpec, action string) []string {
	var out []string
	for _, s := range statements() {
		if s.effect != "Allow" {
			continue
		}
		mine := false
		for _, r := range s.roles {
			mine = mine || strings.Contains(r, `"`+spec.id+"Role")
		}
		for _, a := range s.actions {
			if mine && a == action {
				out = append(out, s.resources)
			}
		}
	}
	return out
}
