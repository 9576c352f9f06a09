// Package entrasim simulates a Microsoft Entra ID tenant for one providersim.Company: the tenant's token
// endpoint and the Microsoft Graph v1.0 endpoints an inventory connector reads, in the shapes Graph documents,
// so a connector built on msgraph-sdk-go and azidentity can be pointed at it (see ../shared/providers.md §3.8).
//
// The tenant serves the company's people with an Entra account as members (accountEnabled false for suspended
// people and leavers, onPremisesSyncEnabled for a third of employees) and its external collaborators as B2B
// guests (userType Guest, a #EXT# user principal name, externalUserState). Groups are the company's groups with
// their members; team groups alternate between security and Microsoft 365 ("Unified") groups, admin groups are
// role-assignable, and one extra group, "All Departments", nests the department groups so transitiveMembers
// differs from members. Object ids are GUIDs derived from the company's seed; Options.Run changes only the
// tokens and request ids of one start.
//
// Simulated:
//   - POST /{tenant}/oauth2/v2.0/token: client credentials with client_secret (form or HTTP Basic) or with a
//     client_assertion (RS256, PS256 or ES256 JWS) verified against the app's registered certificates, its aud
//     (the token endpoint), iss = sub = client id and exp/nbf; only the Graph .default scope; errors in the
//     AADSTS JSON shape (error, error_description, error_codes, timestamp, trace_id, correlation_id, error_uri).
//     GET /{tenant}/v2.0/.well-known/openid-configuration for MSAL's authority lookup. The tenant is named by
//     its id, the company domain or <name>.onmicrosoft.com.
//   - Bearer tokens on every Graph call (401 InvalidAuthenticationToken with WWW-Authenticate when missing,
//     unknown or expired); application permissions per app (403 Authorization_RequestDenied).
//   - GET /v1.0/users, /users/{id or upn}, /groups, /groups/{id}, /groups/{id}/members and
//     /groups/{id}/transitiveMembers: Graph's default properties without $select, $select (unknown property:
//     400 BadRequest), $top 1..999 (default 100), $filter with "eq" clauses joined by "and" on a few
//     properties (others: 400 Request_UnsupportedQuery), @odata.nextLink with an opaque $skiptoken (unknown or
//     from another run: 400 Directory_ExpiredPageToken). signInActivity only when selected, with
//     AuditLog.Read.All, on a P1 tenant (Options.WithoutP1: 403
//     Authentication_RequestFromNonPremiumTenantOrB2CTenant), pages capped at 120 as Graph caps them.
//   - GET /v1.0/users/delta and /groups/delta (also delta(), microsoft.graph.delta): rounds of nextLink pages
//     ending in a deltaLink; a deltaLink returns what changed since its round started, deleted users as
//     @removed {"reason":"changed"} (soft delete) or "deleted" (permanent), deleted groups as @removed
//     {"reason":"deleted"}; groups carry members@delta (every member on the first round, then additions and
//     removals, a removal as {"@odata.type":...,"id":...,"@removed":{"reason":"deleted"}}). $deltatoken=latest;
//     tokens older than 7 days or from another run: 400 syncStateNotFound. Tests change the tenant between
//     rounds with AddUser, SetAccountEnabled, DeleteUser, DeleteGroup, AddMember and RemoveMember. Options.DeltaMembersPerObject splits a
//     group's members@delta into parts, the group repeated once per part, as Graph does for large groups.
//   - GET /v1.0/servicePrincipals/delta and /applications/delta: the same rounds and tokens over the apps'
//     records; an object is reported when its properties changed (SetServicePrincipalEnabled; a
//     DeleteServicePrincipal as @removed {"reason":"deleted"}), not when only
//     its owners or app role assignments did (Graph documents delta for the object; the connector relies on
//     no more).
//   - Throttling: Options.ResourceUnits is a per-app resource-unit bucket per 10 s, with Graph's request costs
//     (users 2, members 3, transitiveMembers 5, others 1; $select and $top<20 each −1); over budget: 429
//     TooManyRequests with Retry-After in seconds (rounded up); x-ms-resource-unit and, from 80% use,
//     x-ms-throttle-limit-percentage headers (Options.WithoutThrottleWarning leaves the latter out). Stats
//     counts the units admitted and the 429s.
//   - Faults (Options.Faults, AddFault): a status with Graph's error body for it on a route, N times.
//   - GET /v1.0/applications and /servicePrincipals (the company's apps as app registrations with their
//     enterprise applications, Microsoft Graph's service principal, and third-party service principals for
//     shadow apps consented through Entra): passwordCredentials of OIDC apps (metadata only, secretText null,
//     every fifth expired), SAML signing keyCredentials on service principals; /{id}/owners (a quarter of the
//     apps have none); /servicePrincipals/{id}/appRoleAssignedTo (the company's direct user and group
//     assignments; on Graph's service principal, User.Read.All granted to each OIDC app);
//     /oauth2PermissionGrants (one Principal grant per person and shadow app, scopes merged);
//     /roleManagement/directory/roleDefinitions and /roleAssignments (the company's admin roles mapped to
//     built-in roles, tenant-wide, to users and to role-assignable groups) and /directoryRoles with
//     /{id}/members (the roles that have an assignment);
//     /reports/authenticationMethods/userRegistrationDetails from the people's factors (P1-gated). Each checks
//     its application permission.
//   - GET /v1.0/auditLogs/signIns (the company's sign-ins recorded by Entra; P1-gated) and
//     /auditLogs/directoryAudits (users created and consents given within the window, then every change made
//     through the mutation methods), newest first, $top up to 1,000 (the default), $filter with ge/gt/le/lt on
//     createdDateTime / activityDateTime and eq on a few fields, 30 days of retention (directory audits: 7 days
//     without P1). Options.ReportRequests is the reports bucket (Graph: 5 requests per 10 s per app), apart
//     from resource units. A new entry shifts the positions of later pages of a listing already under way
//     (clients de-duplicate by id).
//
// Change notifications: /subscriptions (create with the validation handshake, list, get, renew, delete) and a
// sender, DeliverNotifications, for changes made through the mutation methods; see subscriptions.go.
//
// Not simulated yet: deletion of applications (DeleteServicePrincipal deletes service principals); group
// deletion in delta; $count, $search, $orderby, $expand and
// ConsistencyLevel: eventual advanced queries; PIM schedules.
package entrasim
