package entra

// SetStepLimits bounds the source's steps (tests: many checkpoints from a small tenant).
func SetStepLimits(s *Source, rows, requests int) { s.limits = stepLimits{rows, requests} }

// AuditCategory is the category of a directoryAudit activity.
func AuditCategory(activity string) string { return auditCategory(activity) }
