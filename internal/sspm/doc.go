// Package sspm holds Open-SSPM's domain: the nouns every other package shares (connectors, sync runs, accounts,
// groups, resources, grants, credentials, events, identities, findings, the admin sign-in's users, sessions and
// roles) and the small contracts that have several implementations (KeyWrapper, Queue, Invoker, Source, Users,
// Sessions). It imports only the standard library.
package sspm
