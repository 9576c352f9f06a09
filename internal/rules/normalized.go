package rules

// Normalized dataset names (docs/rules-engine.md#normalized-datasets): the store derives them from the inventory of every connector.
const (
	DatasetIdentities   = "normalized:identities"
	DatasetAccounts     = "normalized:accounts"
	DatasetEntitlements = "normalized:entitlement_assignments"
	DatasetCredentials  = "normalized:credentials"
	DatasetOAuthGrants  = "normalized:oauth_grants"
)

// IsNormalized reports whether a dataset is derived from the inventory rather than read from one connector.
func IsNormalized(dataset string) bool {
	switch dataset {
	case DatasetIdentities, DatasetAccounts, DatasetEntitlements, DatasetCredentials, DatasetOAuthGrants:
		return true
	}
	return false
}

// HighPrivilegeCredentialKinds lists the credential kinds whose privilege is high (docs/discovery.md#credential-risk-levels).
func HighPrivilegeCredentialKinds() []string {
	return []string{"entra_client_secret", "github_deploy_key", "github_pat_request", "github_pat_fine_grained",
		"okta_api_token", "datadog_api_key", "datadog_application_key"}
}

// PrivilegedScopes lists the OAuth scope tokens that are privileged by exact match (docs/discovery.md#scope-classification); Okta's
// okta.*.manage scopes are matched by pattern in the store.
func PrivilegedScopes() []string {
	return []string{"directory.readwrite.all", "application.readwrite.all", "rolemanagement.readwrite.directory",
		"mailboxsettings.readwrite", "full_access_as_app", "files.readwrite.all", "sites.readwrite.all",
		"user.readwrite.all", "offline_access", "https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
		"https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/admin.directory.user",
		"https://www.googleapis.com/auth/cloud-platform", "administration:write", "members:write",
		"organization_administration:write"}
}

// NormalizedVersion is the version of a normalized dataset the store derives (D13).
func NormalizedVersion(name string) (int, bool) {
	switch name {
	case DatasetIdentities, DatasetEntitlements:
		return 2, true
	case DatasetAccounts, DatasetCredentials, DatasetOAuthGrants:
		return 1, true
	}
	return 0, false
}
