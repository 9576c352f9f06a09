// Package providersim generates one synthetic company that every provider
// simulator serves: the same people, groups, apps, assignments, admin roles,
// MFA factors and SaaS usage evidence, seen through the eyes of Okta, Microsoft
// Graph, Google Workspace, GitHub, Datadog and AWS.
//
// The company is provider-neutral and deterministic: NewCompany with the same
// CompanyConfig (seed and size knobs) returns the same company, byte for byte.
// Provider differences are recorded on the data rather than invented by each
// simulator: Person.Accounts says in which providers a person has an account,
// and Person.Variants records per-provider deviations such as an email that
// differs in case, an email a provider does not know, or a leaver whose account
// is still active in one SaaS app. Simulators (see the oktasim subpackage) turn
// the company into their provider's API shapes and ids.
//
// Generation is fast and lean: the Large preset (50,000 people, 5,000 groups,
// about 500,000 memberships, 500 apps, about 100,000 app assignments) builds in
// well under two seconds. Indexes into Company slices (Person.Index,
// Group.Members, App.Users) are stable for the life of a Company.
//
// The package imports only the standard library.
package providersim
