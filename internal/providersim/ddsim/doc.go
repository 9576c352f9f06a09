// Package ddsim serves the synthetic company of package providersim as one Datadog organization over the API v2
// paths and JSON:API shapes of Datadog's published API reference (docs.datadoghq.com/api/latest), which
// github.com/DataDog/datadog-api-client-go/v2 decodes. The client chooses the site: any Host is accepted (Hosts
// records what was seen); point the SDK at URL() through its server index 1 ({protocol}://{name}).
//
// What it serves:
//
//   - auth: DD-API-KEY and DD-APPLICATION-KEY on every request; a missing or unknown key answers 403
//     {"errors":["Forbidden"]}, as does an application key without the endpoint's permission
//     (Options.AppKeys gives each key its permission set: user_access_read for users, roles and role members,
//     api_keys_read, org_app_keys_read, service_account_write for a service account's keys, audit_logs_read);
//   - GET /api/v2/users (page[size] ≤ 100, 0-based page[number], filter, filter[status], sort, included roles,
//     meta.page.total_count and total_filtered_count); service accounts are users with service_account=true;
//   - GET /api/v2/roles (with relationships.permissions), /api/v2/roles/{id}/permissions, /api/v2/roles/{id}/users,
//     /api/v2/permissions: the three managed roles (Datadog Admin, Standard, Read Only), custom roles, one of
//     them holding admin-grade permissions under another name, and Options.ExtraRoles more;
//   - GET /api/v2/api_keys (date_last_used, created_by), /api/v2/application_keys (last_used_at, scopes,
//     owned_by; filter[owned_by]) and /api/v2/service_accounts/{id}/application_keys: metadata only, never a
//     secret;
//   - X-RateLimit-Limit, -Period, -Remaining, -Reset (seconds until the window ends) and -Name on every answer,
//     one bucket per endpoint (Bucket*), 429 {"errors":["Too many requests"]} once Options.RateLimits' budget of
//     the window is spent;
//   - GET /api/v2/audit/events and POST /api/v2/audit/events/search (gzip bodies accepted): filter[from] /
//     filter[to] (RFC 3339, epoch ms, now-15m date math; from defaults to now-15m), filter[query] (* or
//     @attribute:value terms), sort timestamp / -timestamp (default), page[limit] ≤ 1000, cursor paging by
//     meta.page.after, links.next and page[cursor]. Events are generated for the company's admin activity (user
//     created, added to a role, disabled; API and application key created), with ids that change with
//     Options.Run; AppendEvent adds more;
//   - faults (any status per route, page of a page-number listing and count; a 429 with the X-RateLimit-Reset it
//     asks for; EmptyLastPage, which fills a listing's last page and follows it with an empty one) and request
//     statistics (Stats, ResetStats);
//   - an admin's changes between reads (DisableUser, RemoveRoleMember, DeleteRole, DeleteKey);
//   - sizing for the figures: Options.Users caps the users (10,000 of the Large company), ExtraRoles and
//     ExtraKeys add roles and application keys (BenchmarkIssueFigures: 50 roles, about 2,000 keys, 100,000
//     audit events).
//
// Not simulated yet: writes through the API (creating or changing users, roles and keys), the v1 API, /api/v2/current_user, the
// include= parameter of the key listings, sorting users by anything but name, email, status, created_at and
// modified_at, audit queries beyond @attribute:value terms, aggregation, response gzip and the exact message
// texts Datadog puts in 400 answers. It imports only the standard library and package providersim.
package ddsim
