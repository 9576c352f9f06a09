package okta

// SetStepLimits makes a Source's steps smaller, so that tests with a small org get many cursors.
func SetStepLimits(s *Source, rows, requests int) { s.limits = stepLimits{rows, requests} }

// OrgSubdomain exposes orgSubdomain.
var OrgSubdomain = orgSubdomain
