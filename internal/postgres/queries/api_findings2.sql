-- Findings over time for the admin overview chart.

-- name: APIFindingsTrend :many
-- Per UTC day from @since: findings first seen that day, resolved that day, and unresolved at its end (open,
-- suppressed or accepted). A finding reopened after being resolved counts as unresolved from its reopening on
-- only as far as resolved_at tells (resolved_at is cleared when it reopens).
SELECT d.day::timestamptz AS day,
       count(f.id) FILTER (WHERE f.first_seen_at >= d.day AND f.first_seen_at < d.day + interval '1 day')::bigint AS opened,
       count(f.id) FILTER (WHERE f.resolved_at >= d.day AND f.resolved_at < d.day + interval '1 day')::bigint AS resolved,
       count(f.id) FILTER (WHERE f.resolved_at IS NULL OR f.resolved_at >= d.day + interval '1 day')::bigint AS unresolved
FROM generate_series(@since::timestamptz, @until::timestamptz, interval '1 day') AS d(day)
LEFT JOIN findings f ON f.first_seen_at < d.day + interval '1 day'
GROUP BY d.day
ORDER BY d.day;
