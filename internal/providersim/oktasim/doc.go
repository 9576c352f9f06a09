// Package oktasim serves a providersim.Company as an Okta org: the Okta
// Management API on a loopback httptest server, with the real paths, JSON
// shapes, paging, rate limits, errors and event hooks that
// github.com/okta/okta-sdk-golang/v5 (v5.0.2) expects. It imports only the
// standard library and providersim.
//
//	c, _ := providersim.NewCompany(providersim.Small())
//	s := oktasim.New(c, oktasim.Options{})
//	defer s.Close()
//
// # Pointing okta-sdk-golang v5 at the simulator
//
// This recipe is exercised by the package's tests:
//
//	cfg, err := okta.NewConfiguration(
//		okta.WithOrgUrl(s.URL()),
//		okta.WithToken(oktasim.DefaultToken),  // "Authorization: SSWS <token>"
//		okta.WithCache(false),                  // the SDK cache would hide changes
//		okta.WithHttpClientPtr(s.Client()),     // trusts the certificate when Options.TLS
//		okta.WithRequestTimeout(10),            // bounds the SDK's unlimited EOF retries
//		okta.WithRateLimitMaxRetries(4),        // default 0: a 429 would be final
//		okta.WithRateLimitMaxBackOff(30),       // default 0: retries would not wait
//		okta.WithTestingDisableHttpsCheck(true),
//	)
//	u, _ := url.Parse(s.URL())
//	cfg.Host = u.Host // NewConfiguration keeps only the hostname: put the port back
//	client := okta.NewAPIClient(cfg)
//
// Notes:
//   - Plain http works: v5.0.2 has no https check (the option above is for
//     future versions) and cfg.Scheme follows the org URL. Options{TLS: true}
//     serves https instead; s.Client() trusts it.
//   - NewConfiguration first reads ~/.okta/okta.yaml (located through
//     os/user, so setting HOME does not always isolate it), a .okta.yaml next
//     to the SDK and OKTA_CLIENT_* variables; set every field above
//     explicitly and, in tests, clear OKTA_* variables.
//   - OAuth 2.0 service app: register Options.OAuthClients (with the public
//     key to verify signatures) and configure the SDK with
//     okta.WithAuthorizationMode("PrivateKey"), okta.WithClientId(id),
//     okta.WithScopes(scopes), okta.WithPrivateKey(pem) (and optionally
//     okta.WithPrivateKeyId(kid)). The SDK posts the assertion to
//     {orgURL}/oauth2/v1/token (port kept) and then sends "Bearer <token>";
//     each route checks its okta.*.read scope (a .manage scope also grants it).
//   - 429 retries: the SDK waits X-Rate-Limit-Reset − Date + 1 s, capped by
//     WithRateLimitMaxBackOff (whole seconds). Both headers come from
//     Options.Clock, so a test with a fake clock advances the clock when it
//     sees a 429 (for example in an http.RoundTripper) and uses a small
//     back-off.
//   - resp.Next uses the configuration's context, not the caller's: for long
//     loops parse `after` from resp.NextPage() and call the list method again
//     with .After(token) on the caller's context.
//   - Apps, policies, policy rules, authenticators, log streams and factors
//     decode into wrappers chosen by a discriminator; types v5.0.2 does not
//     know (factor "signed_nonce") decode to an empty wrapper without error.
//     Keep the raw body (resp.Body is re-readable after Execute).
//
// # What is served
//
// Users (list with search/filter/q; one user by id or login; a user's
// groups, roles and factors), groups (list with q/filter/search; one group;
// members; roles), apps (list with q/filter; one app; users with
// expand=user; groups with expand=group; scope grants), admin role
// assignees (/api/v1/iam/assignees/users), policies (type=PASSWORD,
// OKTA_SIGN_ON, ACCESS_POLICY; one policy; rules), authenticators, log
// streams, brands and the customized sign-in page, first-party app settings
// (admin-console), API tokens, the org, the System Log (/api/v1/logs),
// event hooks (create, list, get, delete, verify, activate, deactivate) and
// /oauth2/v1/token. Unknown paths answer Okta's 404.
//
// # Behaviour of a real org
//
//   - Paging: opaque `after` cursors, one Link header per relation
//     (rel="self", rel="next"), absolute URLs built from the request's
//     host, `limit` capped per endpoint as Okta documents (users 200, groups
//     10,000, group members 1,000, apps 200, app users 500, app groups 200,
//     role assignees 100, System Log 1,000) and further by Options.PageCaps.
//   - Rate limits: X-Rate-Limit-Limit/Remaining/Reset and Date on every
//     response; a per-minute window per bucket (Options.RateLimits,
//     WorkforceLimits); 429 with E0000047 when spent; Options.MaxConcurrent.
//   - Errors in Okta's shape: errorCode, errorSummary, errorLink, errorId,
//     errorCauses (401 E0000011, 403 E0000006, 404 E0000007, 400 E0000001 /
//     E0000031, 429 E0000047, 5xx E0000009).
//   - Faults (Options.Faults, AddFault): a status on page N of a listing or
//     on any route, added latency, a truncated body, a cursor that never ends.
//   - Stats counts requests per route pattern, per path and per status;
//     MinListingRequests gives the fewest requests a full inventory read
//     needs, to compare against.
//   - System Log: polling requests (no `until`, ascending) follow persistence
//     order and always return a `next` link; bounded requests (`until`, or
//     DESCENDING) are ordered by published and end; 90-day retention.
//   - Changes over time: AddUser, DeactivateUser, SuspendUser, DeleteUser,
//     UpdateUser, AddGroup, AddGroupMember, AssignUserToApp, ActivateFactor,
//     RecordSSO, RecordConsent and the rest change the org and append the
//     matching System Log events, which DeliverHooks then posts to verified
//     event hooks.
package oktasim
