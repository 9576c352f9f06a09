// Package googlesim simulates a Google Workspace domain for one providersim.Company: the OAuth token endpoint
// of the service account JWT bearer flow with domain-wide delegation, the Admin SDK Directory API v1 and the
// Reports API v1, in the shapes Google documents, so a connector built on google.golang.org/api and
// golang.org/x/oauth2/google can be pointed at it (see ../shared/providers.md §4.8–4.9).
//
// The domain serves the company's people with a Google account as users (suspended people suspended, every
// third of them archived instead; leavers deleted when they left, unless still active in Google; isAdmin for super admins, isDelegatedAdmin for other admin roles; isEnrolledIn2Sv from the people's
// factors; orgUnitPath from the department; lastLoginTime 1970-01-01T00:00:00.000Z for people who never signed
// in; a person whose Google email is missing gets an address under legacy.<domain> that matches no person).
// Groups are the company's groups with their members (OWNER, MANAGER and MEMBER roles); one extra group, "All
// Departments", nests the department groups (type GROUP), so includeDerivedMembership differs from direct
// membership. Roles are Google's system roles the company's admin roles map to (_SEED_ADMIN_ROLE is the super
// admin role) and one custom role; role assignments go to users and to the admin groups, customer-wide or on an
// org unit. Each user's OAuth tokens are the company's Google consents to third-party apps, one per client with
// the scopes merged. Ids are numeric strings (users, roles) or Google-shaped group ids derived from the seed.
//
// Simulated:
//
//   - POST /token: grant_type urn:ietf:params:oauth:grant-type:jwt-bearer with an RS256 assertion verified
//     against the service account's key (kid = private_key_id), aud = the endpoint (or Google's), a lifetime of
//     at most an hour; with sub, domain-wide delegation: every scope must be delegated to the service account
//     (else 401 unauthorized_client) and sub must be a live user (else 400 invalid_grant "Invalid email or User
//     ID"). Errors in Google's OAuth shape {"error","error_description"}.
//
//   - Bearer tokens on every API call (401 authError when missing or expired); the route's scope (403
//     insufficientPermissions); the subject must be an admin (super admin or any role assignment, directly or
//     through a group), else 403 forbidden "Not Authorized to access this resource/api".
//
//   - GET admin/directory/v1/users (customer or domain, maxResults 1..500 default 100, pageToken, orderBy,
//     sortOrder, projection, a query subset; showDeleted=true lists only the deleted users, with deletionTime,
//     for 20 days after their deletion, as Google keeps them restorable before purging them), users/{userKey}, users/{userKey}/tokens (unpaged),
//     groups (customer, domain or userKey; maxResults ≤ 200), groups/{groupKey}/members (maxResults ≤ 200,
//     roles, includeDerivedMembership), customer/{customer}/roles (≤ 100) and roleassignments (≤ 200, roleId,
//     userKey). Pages carry nextPageToken in the body; tokens are MAC'd per run (a foreign one: 400).
//
//   - GET admin/reports/v1/activity/users/{all|userKey}/applications/{app}: login, token, admin and saml
//     activities, newest first, with startTime, endTime, eventName, maxResults 1..1000 (default 1000) and
//     pageToken; id {time, uniqueQualifier (signed int64 as a string), applicationName, customerId}.
//     Options.Lag delays when an application's activities become visible, as Google's reporting lag does.
//
//   - Quota: Options.QueriesPerMinute per minute; beyond it Directory answers 403 userRateLimitExceeded and
//     Reports 503 backendError. Faults (AddFault) answer any status with Google's error body: 403 with a
//     reason (userRateLimitExceeded, rateLimitExceeded, quotaExceeded, forbidden, ...), 429 RESOURCE_EXHAUSTED,
//     503 backendError, with Retry-After when asked; EmptyLastPage adds an empty page at a listing's end; Query limits a
//     fault to requests with those query parameters (showDeleted=true: the deleted users listing).
//
//   - Push: POST .../applications/{app}/watch makes a channel (id unique while live, at most 6 h); POST
//     admin/reports_v1/channels/stop stops it; DeliverPush sends each channel a sync message, then each new
//     activity of its application as the body, with X-Goog-Channel-ID, -Token, -Expiration, X-Goog-Resource-ID,
//     -URI, -State and X-Goog-Message-Number.
//
//   - Changes (DeleteUser, SuspendUser, RemoveMember, DeleteGroup, RevokeToken, RecordLogin, Authorize, AssignRole) are
//     recorded in Reports at the clock's time.
//
//   - Keyless signing: POST /v1/projects/-/serviceAccounts/{email}:signJwt signs a payload as the generated
//     service account for a caller (Options.Callers, TokenCreator) holding a cloud-platform token.
//
// Not simulated yet: users.watch, orgunits, domains, customer usage reports.
package googlesim
