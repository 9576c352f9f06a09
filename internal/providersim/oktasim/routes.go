package oktasim

import (
	"net/http"
	"strings"
)

// route is one API endpoint: its pattern, rate-limit bucket, the OAuth
// scope a Bearer token needs, its page sizes and its handler.
type route struct {
	pattern string // "GET /api/v1/users"
	path    string // "/api/v1/users"
	bucket  string
	scope   string
	public  bool // no Authorization needed
	lim     limits
	h       func(http.ResponseWriter, *http.Request, *request)
}

// routes registers every endpoint the simulator serves.
func (s *Server) routes() {
	const (
		users, groups, apps, roles = "okta.users.read", "okta.groups.read", "okta.apps.read", "okta.roles.read"
		logs, policies, authn      = "okta.logs.read", "okta.policies.read", "okta.authenticators.read"
		streams, brands, tokens    = "okta.logStreams.read", "okta.brands.read", "okta.apiTokens.read"
		grants, hooks, org         = "okta.appGrants.read", "okta.eventHooks.manage", "okta.orgs.read"
	)
	table := []route{
		{pattern: "GET /api/v1/users", bucket: BucketUsers, scope: users, lim: limits{200, 200}, h: s.listUsers},
		{pattern: "GET /api/v1/users/{userId}", bucket: BucketUser, scope: users, h: s.getUser},
		{pattern: "GET /api/v1/users/{userId}/groups", bucket: BucketOther, scope: users, h: s.listUserGroups},
		{pattern: "GET /api/v1/users/{userId}/roles", bucket: BucketOther, scope: roles, h: s.listUserRoles},
		{pattern: "GET /api/v1/users/{userId}/factors", bucket: BucketOther, scope: users, h: s.listFactors},
		{pattern: "GET /api/v1/groups", bucket: BucketGroups, scope: groups, lim: limits{10000, 10000}, h: s.listGroups},
		{pattern: "GET /api/v1/groups/{groupId}", bucket: BucketOther, scope: groups, h: s.getGroup},
		{pattern: "GET /api/v1/groups/{groupId}/users", bucket: BucketOther, scope: groups, lim: limits{1000, 1000}, h: s.listGroupUsers},
		{pattern: "GET /api/v1/groups/{groupId}/roles", bucket: BucketOther, scope: roles, h: s.listGroupRoles},
		{pattern: "GET /api/v1/apps", bucket: BucketApps, scope: apps, lim: limits{20, 200}, h: s.listApps},
		{pattern: "GET /api/v1/apps/{appId}", bucket: BucketOther, scope: apps, h: s.getApp},
		{pattern: "GET /api/v1/apps/{appId}/users", bucket: BucketOther, scope: apps, lim: limits{50, 500}, h: s.listAppUsers},
		{pattern: "GET /api/v1/apps/{appId}/groups", bucket: BucketOther, scope: apps, lim: limits{20, 200}, h: s.listAppGroups},
		{pattern: "GET /api/v1/apps/{appId}/grants", bucket: BucketOther, scope: grants, h: s.listScopeConsentGrants},
		{pattern: "GET /api/v1/iam/assignees/users", bucket: BucketOther, scope: roles, lim: limits{100, 100}, h: s.listRoleAssignees},
		{pattern: "GET /api/v1/policies", bucket: BucketOther, scope: policies, lim: limits{200, 200}, h: s.listPolicies},
		{pattern: "GET /api/v1/policies/{policyId}", bucket: BucketOther, scope: policies, h: s.getPolicy},
		{pattern: "GET /api/v1/policies/{policyId}/rules", bucket: BucketOther, scope: policies, h: s.listPolicyRules},
		{pattern: "GET /api/v1/authenticators", bucket: BucketOther, scope: authn, h: s.listAuthenticators},
		{pattern: "GET /api/v1/logStreams", bucket: BucketOther, scope: streams, lim: limits{20, 200}, h: s.listLogStreams},
		{pattern: "GET /api/v1/brands", bucket: BucketOther, scope: brands, h: s.listBrands},
		{pattern: "GET /api/v1/brands/{brandId}/pages/sign-in/customized", bucket: BucketOther, scope: brands, h: s.getCustomizedSignInPage},
		{pattern: "GET /api/v1/first-party-app-settings/{appName}", bucket: BucketOther, scope: apps, h: s.getFirstPartyAppSettings},
		{pattern: "GET /api/v1/api-tokens", bucket: BucketOther, scope: tokens, h: s.listAPITokens},
		{pattern: "GET /api/v1/org", bucket: BucketOther, scope: org, h: s.getOrg},
		{pattern: "GET /api/v1/logs", bucket: BucketLogs, scope: logs, lim: limits{100, 1000}, h: s.listLogs},
		{pattern: "GET /api/v1/eventHooks", bucket: BucketOther, scope: "okta.eventHooks.read", h: s.listEventHooks},
		{pattern: "POST /api/v1/eventHooks", bucket: BucketOther, scope: hooks, h: s.createEventHook},
		{pattern: "GET /api/v1/eventHooks/{eventHookId}", bucket: BucketOther, scope: "okta.eventHooks.read", h: s.getEventHook},
		{pattern: "DELETE /api/v1/eventHooks/{eventHookId}", bucket: BucketOther, scope: hooks, h: s.deleteEventHook},
		{pattern: "POST /api/v1/eventHooks/{eventHookId}/lifecycle/verify", bucket: BucketOther, scope: hooks, h: s.verifyEventHook},
		{pattern: "POST /api/v1/eventHooks/{eventHookId}/lifecycle/activate", bucket: BucketOther, scope: hooks, h: s.setEventHookStatus("ACTIVE")},
		{pattern: "POST /api/v1/eventHooks/{eventHookId}/lifecycle/deactivate", bucket: BucketOther, scope: hooks, h: s.setEventHookStatus("INACTIVE")},
		{pattern: "POST /oauth2/v1/token", bucket: BucketToken, public: true, h: s.token},
		{pattern: "/", bucket: BucketOther, public: true, h: s.unknownRoute},
	}
	for i := range table {
		rt := &table[i]
		if _, p, ok := strings.Cut(rt.pattern, " "); ok {
			rt.path = p
		} else {
			rt.path = rt.pattern
		}
		s.mux.Handle(rt.pattern, s.serve(rt))
	}
}

// unknownRoute answers Okta's 404 for paths the simulator does not serve.
func (s *Server) unknownRoute(w http.ResponseWriter, r *http.Request, rq *request) {
	s.writeError(w, http.StatusNotFound, codeNotFound, "Not found: Resource not found: "+r.URL.Path+" (Endpoint)")
}
