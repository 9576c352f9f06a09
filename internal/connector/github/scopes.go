package github

import (
	"slices"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Availability is per listing: a listing the credential may not read (403, or 404 where GitHub hides what the
// credential cannot see) marks unavailable only the rows it feeds, named by the columns that tell them apart
// (sspm.ScopedEntity), so the sweep keeps those and expires every other unseen row as usual.

// scope names the rows of e whose columns hold the values of kv (column, value, column, value, ...).
func scope(e sspm.Entity, kv ...string) sspm.Entity {
	cols := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		cols[kv[i]] = kv[i+1]
	}
	return sspm.ScopedEntity(e, cols)
}

// viaEffective labels a collaborator's grant whose permission is the highest role from every source (the
// collaborators listing's role_name), not the direct grant alone.
const viaEffective = "effective"

// Scopes of the rows each listing feeds.
var (
	scopeOutside       = scope(sspm.EntityAccounts, "status", "outside")
	scopeTeams         = scope(sspm.EntityGroups, "kind", "team")
	scopeTeamGrants    = scope(sspm.EntityGrants, "via", "team")
	scopeRepos         = scope(sspm.EntityResources, "kind", "repository")
	scopeBaseGrants    = scope(sspm.EntityGrants, "via", "org_base")
	scopeDeployKeys    = scope(sspm.EntityCredentials, "kind", "github_deploy_key")
	scopeInstallations = scope(sspm.EntityCredentials, "kind", "github_app_installation")
	scopePATs          = scope(sspm.EntityCredentials, "kind", "github_pat")
	scopePATRequests   = scope(sspm.EntityCredentials, "kind", "github_pat_request")
	scopeTeamMembers   = func(teamID string) sspm.Entity { return scope(sspm.EntityGroupMembers, "group_external_id", teamID) }
	scopeTeamRepos     = func(teamID string) sspm.Entity {
		return scope(sspm.EntityGrants, "via", "team", "via_external_id", teamID)
	}
	scopeRepoCollaborators = func(repoID string) []sspm.Entity {
		return []sspm.Entity{scope(sspm.EntityGrants, "via", "direct", "resource_external_id", repoID),
			scope(sspm.EntityGrants, "via", viaEffective, "resource_external_id", repoID)}
	}
)

// membersScopes are the rows the org members listing feeds: the members' accounts, their org role grants and
// their places in the org members group.
func membersScopes(orgID int64) []sspm.Entity {
	return []sspm.Entity{scope(sspm.EntityAccounts, "status", "active"),
		scope(sspm.EntityGrants, "resource_external_id", orgResourceID(orgID)),
		scope(sspm.EntityGroupMembers, "group_external_id", orgMembersID(orgID))}
}

// addUnavailable appends the scopes not yet listed.
func addUnavailable(res *sspm.StepResult, scopes ...sspm.Entity) {
	for _, s := range scopes {
		if !containsEntity(res.Unavailable, s) {
			res.Unavailable = append(res.Unavailable, s)
		}
	}
}

func containsEntity(list []sspm.Entity, e sspm.Entity) bool { return slices.Contains(list, e) }
