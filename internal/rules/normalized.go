package rules

import "github.com/open-sspm/open-sspm/internal/sspm"

// Normalized dataset names (docs/rules-engine.md#normalized-datasets): the store derives them from the inventory of every connector.
const (
	DatasetIdentities   = sspm.DatasetIdentities
	DatasetAccounts     = sspm.DatasetAccounts
	DatasetEntitlements = sspm.DatasetEntitlements
	DatasetCredentials  = sspm.DatasetCredentials
	DatasetOAuthGrants  = sspm.DatasetOAuthGrants
	// DatasetAccessChanges is the access history of the last week (docs/access-history.md).
	DatasetAccessChanges = sspm.DatasetAccessChanges
)

// IsNormalized reports whether a dataset is derived from the inventory rather than read from one connector.
func IsNormalized(dataset string) bool {
	switch dataset {
	case DatasetIdentities, DatasetAccounts, DatasetEntitlements, DatasetCredentials, DatasetOAuthGrants, DatasetAccessChanges:
		return true
	}
	return false
}

// NormalizedVersion is the version of a normalized dataset the store derives (D13).
func NormalizedVersion(name string) (int, bool) {
	switch name {
	case DatasetIdentities, DatasetEntitlements:
		return 2, true
	case DatasetAccounts, DatasetCredentials, DatasetOAuthGrants, DatasetAccessChanges:
		return 1, true
	}
	return 0, false
}
