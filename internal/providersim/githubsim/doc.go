// Package githubsim serves the synthetic company of package providersim as a GitHub organization over the REST
// paths and JSON shapes github.com/google/go-github/v62 decodes, plus the GraphQL query for SAML/SCIM external
// identities, and sends signed organization webhooks.
//
// What it serves (docs/connectors/github.md#what-it-reads, the subset the connector reads):
//
//   - GET /orgs/{org}, /orgs/{org}/members (role=all|admin|member), /orgs/{org}/memberships/{user},
//     /orgs/{org}/outside_collaborators, /orgs/{org}/teams, /orgs/{org}/teams/{slug}/members (role=all|
//     maintainer|member), /orgs/{org}/teams/{slug}/repos, /orgs/{org}/repos, /repos/{owner}/{repo}/collaborators
//     (affiliation=all|direct|outside), /orgs/{org}/teams/{slug}, /repos/{owner}/{repo},
//     /repos/{owner}/{repo}/keys (deploy keys), /orgs/{org}/installations, /orgs/{org}/personal-access-tokens,
//     /orgs/{org}/personal-access-token-requests, /rate_limit;
//   - GitHub App auth (Options.Apps): POST /app/installations/{id}/access_tokens and GET /app/installations
//     verify the RS256 App JWT against the App's public key (iss = app id, iat not in the future, exp in the
//     future and at most 10 minutes after iat) and mint installation tokens valid TokenTTL on the server's clock;
//   - GET /orgs/{org}/audit-log (phrase created:/action:/actor:, include, order, per_page, after/before cursors in
//     one Link header), generated from the organization and appended to by the change methods and AuditLog;
//     Options.NoAuditLog answers 404 (no Enterprise Cloud), Forbidden can make it 403;
//   - POST /graphql: organization(login).samlIdentityProvider.externalIdentities (first, after), and nodes(ids:)
//     with User.email (public profile) and organizationVerifiedDomainEmails(login:);
//   - page/per_page paging (per_page ≤ 100) with one comma-separated Link header;
//   - X-RateLimit-* headers on every answer, an hourly primary budget answered with 403 and
//     X-RateLimit-Remaining: 0 once spent; ETags on every GET and 304 to a matching If-None-Match, which does not
//     spend the budget;
//   - faults: any status (429 and 403 secondary limits with Retry-After), per route, page and count;
//   - request statistics.
//
// The people of the company with a GitHub account are members (leavers only while a StillActive variant keeps
// their account), externals are outside collaborators. A member's email is known through the SAML identity
// (nameId) or the SCIM identity of the identity provider, or for some only through a verified-domain email or
// the public profile (some also show a personal address there); members whose provider record has no email (the
// EmailMissing variant, bots) have none. Options.Members, Teams and Repos size the organization for benchmarks.
// It imports only the standard library and package providersim.
package githubsim
