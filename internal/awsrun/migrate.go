package awsrun

import (
	"context"
	"fmt"
)

// MigrateInput is the migrate function's event: a CloudFormation custom resource request as the CDK provider
// framework (custom_resources.Provider) or a triggers.Trigger passes it, or any JSON object (a manual invoke).
// Only RequestType is read.
type MigrateInput struct {
	RequestType string `json:"RequestType,omitempty"` // Create, Update or Delete
}

// MigrateOutput is the custom resource's answer.
type MigrateOutput struct {
	PhysicalResourceID string      `json:"PhysicalResourceId"`
	Data               MigrateData `json:"Data"`
}

// MigrateData are the custom resource's attributes.
type MigrateData struct {
	Applied       int   `json:"Applied,string"`
	SchemaVersion int64 `json:"SchemaVersion,string"`
}

// SchemaResourceID is the migrate custom resource's physical id: the schema is one resource for the stack's life.
const SchemaResourceID = "open-sspm-schema"

// Migrate is the migrate function's handler: it applies the embedded migrations (serialized with concurrent
// callers by a PostgreSQL lock), then creates and grants the other functions' database roles
// (postgres.FunctionRoles; rds_iam where it exists), and returns an error on failure, so that the deploy fails and rolls back. A Delete
// request leaves the database as it is.
func (rt *Runtime) Migrate(ctx context.Context, in MigrateInput) (MigrateOutput, error) {
	out := MigrateOutput{PhysicalResourceID: SchemaResourceID}
	if in.RequestType == "Delete" {
		rt.Logger.Info("migrate: delete request; the database is kept")
		return out, nil
	}
	applied, err := rt.DB.Migrate(ctx)
	if err != nil {
		return out, fmt.Errorf("migrate: %w", err)
	}
	cur, _, err := rt.DB.SchemaVersion(ctx)
	if err != nil {
		return out, fmt.Errorf("migrate: %w", err)
	}
	iam, err := rt.DB.EnsureFunctionRoles(ctx)
	if err != nil {
		return out, fmt.Errorf("migrate: %w", err)
	}
	rt.schemaOK.Store(true)
	out.Data = MigrateData{Applied: applied, SchemaVersion: cur}
	rt.Logger.Info("database migrated", "applied", applied, "version", cur, "function_roles_iam", iam)
	return out, nil
}
