package awsrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
)

// migrateRuntime returns a runtime of the migrate function: the database only.
func migrateRuntime(t *testing.T) *awsrun.Runtime {
	t.Helper()
	rt, err := awsrun.New(context.Background(), awsrun.Config{DatabaseURL: postgrestest.URL(t), LogLevel: "error"}, awsrun.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return rt
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	rt := migrateRuntime(t)
	ctx := t.Context()
	// Start from an empty database.
	if _, err := rt.DB.Pool().Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		give        string
		wantApplied bool
	}{
		{"create", `{"RequestType":"Create","ResourceProperties":{"ServiceToken":"x"}}`, true},
		{"update: nothing left", `{"RequestType":"Update","PhysicalResourceId":"open-sspm-schema"}`, false},
		{"manual invoke", `{}`, false},
		{"delete keeps the database", `{"RequestType":"Delete","PhysicalResourceId":"open-sspm-schema"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in awsrun.MigrateInput
			if err := json.Unmarshal([]byte(tt.give), &in); err != nil {
				t.Fatal(err)
			}
			out, err := rt.Migrate(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if out.PhysicalResourceID != awsrun.SchemaResourceID || (out.Data.Applied > 0) != tt.wantApplied {
				t.Fatalf("out = %+v", out)
			}
			cur, latest, err := rt.DB.SchemaVersion(ctx)
			if err != nil || cur != latest {
				t.Fatalf("schema %d of %d (%v)", cur, latest, err)
			}
		})
	}
	wire, _ := json.Marshal(awsrun.MigrateOutput{PhysicalResourceID: "p", Data: awsrun.MigrateData{Applied: 1, SchemaVersion: 7}})
	if string(wire) != `{"PhysicalResourceId":"p","Data":{"Applied":"1","SchemaVersion":"7"}}` {
		t.Fatalf("custom resource answer = %s", wire)
	}
}

func TestMigrateFailsTheDeployOnANewerSchema(t *testing.T) {
	t.Parallel()
	rt := migrateRuntime(t)
	ctx := t.Context()
	if _, err := rt.DB.Pool().Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`); err != nil {
		t.Fatal(err)
	}
	_, err := rt.Migrate(ctx, awsrun.MigrateInput{RequestType: "Update"})
	if !errors.Is(err, postgres.ErrSchemaTooNew) || !strings.HasPrefix(err.Error(), "migrate: ") {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
}
