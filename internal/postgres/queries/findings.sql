-- Findings (see findings.go): one lifecycle for posture, identity and event findings, and the event reads of
-- the evaluator.

-- name: UpsertFindings :many
-- Observes findings: new ones open; known ones get the new evidence and last_seen_at. A resolved posture or
-- identity finding whose condition is back reopens; a suppression or accepted risk that has expired reopens.
-- Applying the same observation twice changes nothing more. Returns every observed finding with its status and
-- severity before (empty for a new finding) and after, so the caller can tell opened, reopened and escalated ones.
WITH f AS (
    SELECT unnest(@dedupe_keys::text[]) AS dedupe_key,
           unnest(@kinds::text[]) AS kind,
           unnest(@connector_ids::text[]) AS connector_id,
           unnest(@ruleset_keys::text[]) AS ruleset_key,
           unnest(@rule_keys::text[]) AS rule_key,
           unnest(@severities::text[]) AS severity,
           unnest(@titles::text[]) AS title,
           unnest(@subjects::text[]) AS subject,
           unnest(@evidences::jsonb[]) AS evidence,
           unnest(@seen_ats::timestamptz[]) AS seen_at
), old AS (
    SELECT x.dedupe_key, x.status, x.severity FROM findings x JOIN f ON f.dedupe_key = x.dedupe_key
), up AS (
    INSERT INTO findings (dedupe_key, kind, connector_id, ruleset_key, rule_key, severity, title, subject, evidence,
                          first_seen_at, last_seen_at, status_changed_at, updated_at)
    SELECT f.dedupe_key, f.kind, NULLIF(f.connector_id, ''), f.ruleset_key, f.rule_key, f.severity, f.title, f.subject,
           f.evidence, f.seen_at, f.seen_at, f.seen_at, now()
    FROM f
    ON CONFLICT (dedupe_key) DO UPDATE
    SET severity = EXCLUDED.severity, title = EXCLUDED.title, subject = EXCLUDED.subject, evidence = EXCLUDED.evidence,
        last_seen_at = GREATEST(findings.last_seen_at, EXCLUDED.last_seen_at),
        status = CASE WHEN findings.status = 'resolved' AND findings.kind <> 'event' THEN 'open'
                      WHEN findings.status IN ('suppressed', 'accepted_risk') AND findings.status_until <= EXCLUDED.last_seen_at THEN 'open'
                      ELSE findings.status END,
        status_reason = CASE WHEN findings.status = 'resolved' AND findings.kind <> 'event' THEN 'condition returned'
                             WHEN findings.status IN ('suppressed', 'accepted_risk') AND findings.status_until <= EXCLUDED.last_seen_at THEN findings.status || ' expired'
                             ELSE findings.status_reason END,
        status_until = CASE WHEN findings.status IN ('suppressed', 'accepted_risk') AND findings.status_until <= EXCLUDED.last_seen_at THEN NULL
                            ELSE findings.status_until END,
        status_changed_at = CASE WHEN (findings.status = 'resolved' AND findings.kind <> 'event')
                                      OR (findings.status IN ('suppressed', 'accepted_risk') AND findings.status_until <= EXCLUDED.last_seen_at)
                                 THEN EXCLUDED.last_seen_at ELSE findings.status_changed_at END,
        reopened_count = findings.reopened_count +
            CASE WHEN (findings.status = 'resolved' AND findings.kind <> 'event')
                      OR (findings.status IN ('suppressed', 'accepted_risk') AND findings.status_until <= EXCLUDED.last_seen_at)
                 THEN 1 ELSE 0 END,
        resolved_at = CASE WHEN findings.status = 'resolved' AND findings.kind <> 'event' THEN NULL ELSE findings.resolved_at END,
        updated_at = now()
    RETURNING findings.id, findings.dedupe_key, findings.status, findings.severity, findings.reopened_count
)
SELECT up.id, up.dedupe_key, up.status, up.severity, up.reopened_count,
       COALESCE(old.status, '')::text AS old_status, COALESCE(old.severity, '')::text AS old_severity
FROM up
LEFT JOIN old ON old.dedupe_key = up.dedupe_key;

-- name: ResolveFindings :execrows
-- The condition cleared: open, suppressed and accepted findings resolve.
UPDATE findings
SET status = 'resolved', resolved_at = @now, status_changed_at = @now, status_reason = @reason, status_until = NULL,
    status_by = '', updated_at = now()
WHERE dedupe_key = ANY(@dedupe_keys::text[]) AND status <> 'resolved';

-- name: ResolveFindingsExcept :execrows
-- Resolves a kind's findings of the given rules whose dedupe key is not in keep (their condition cleared).
UPDATE findings f
SET status = 'resolved', resolved_at = @now, status_changed_at = @now, status_reason = @reason, status_until = NULL,
    status_by = '', updated_at = now()
WHERE f.kind = @kind AND f.rule_key = ANY(@rule_keys::text[]) AND f.status <> 'resolved'
  AND NOT EXISTS (SELECT 1 FROM unnest(@keep::text[]) AS k(key) WHERE k.key = f.dedupe_key);

-- name: FlaggedIdentities :many
-- Identities with live accounts and any flag set: the identity checks (identity.Check.Holds) decide which
-- findings they raise.
SELECT id, display_name, primary_email, leaver, privileged, mfa, stale, last_seen_at
FROM identities
WHERE accounts > 0 AND (leaver OR privileged OR stale OR mfa IS FALSE)
ORDER BY id;

-- name: SetFindingStatus :execrows
UPDATE findings
SET status = @status::text, status_reason = @reason::text, status_until = sqlc.narg(until)::timestamptz,
    status_by = @status_by::text, status_changed_at = @now::timestamptz,
    resolved_at = CASE WHEN @status::text = 'resolved' THEN @now::timestamptz ELSE NULL END,
    reopened_count = reopened_count + CASE WHEN @status::text = 'open' AND status <> 'open' THEN 1 ELSE 0 END,
    updated_at = now()
WHERE id = @id;

-- name: ReopenExpiredFindings :many
UPDATE findings
SET status = 'open', status_reason = status || ' expired', status_until = NULL, status_changed_at = @now,
    reopened_count = reopened_count + 1, updated_at = now()
WHERE status IN ('suppressed', 'accepted_risk') AND status_until <= @now
RETURNING *;

-- name: GetFinding :one
SELECT * FROM findings WHERE dedupe_key = @dedupe_key;

-- name: ListFindings :many
SELECT * FROM findings
WHERE (@kind::text = '' OR kind = @kind::text) AND (@status::text = '' OR status = @status::text)
  AND (@connector_id::text = '' OR connector_id = @connector_id::text)
ORDER BY id
LIMIT @max_rows;

-- name: EventsAfter :many
-- A connector's events stored after the evaluator's watermark, oldest first, with their targets; a target that is
-- a live account of the connector carries its admin flag from the inventory (EV-002's escalation).
SELECT e.id, e.provider_event_id, e.type, e.category, e.actor_external_id, e.actor_display, e.outcome, e.occurred_at,
       e.source, e.raw,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('kind', t.type, 'id', t.external_id, 'display', t.display_name,
                                     'is_admin', COALESCE(ta.is_admin, false)) ORDER BY t.ordinal)
                 FROM event_targets t
                 LEFT JOIN accounts ta ON ta.connector_id = e.connector_id AND ta.external_id = t.external_id AND ta.expired_at IS NULL
                 WHERE t.event_id = e.id), '[]')::jsonb AS targets
FROM events e
WHERE e.connector_id = @connector_id AND e.id > @after_id
ORDER BY e.id
LIMIT @max_rows;

-- name: LookbackEvents :many
-- Earlier events of a sequence: by type or category, in a window, for the group keys (first target or actor).
SELECT e.id, e.provider_event_id, e.type, e.category, e.actor_external_id, e.actor_display, e.outcome, e.occurred_at,
       e.source, e.raw,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('kind', t.type, 'id', t.external_id, 'display', t.display_name,
                                     'is_admin', COALESCE(ta.is_admin, false)) ORDER BY t.ordinal)
                 FROM event_targets t
                 LEFT JOIN accounts ta ON ta.connector_id = e.connector_id AND ta.external_id = t.external_id AND ta.expired_at IS NULL
                 WHERE t.event_id = e.id), '[]')::jsonb AS targets
FROM events e
WHERE e.connector_id = @connector_id AND e.occurred_at >= @since AND e.occurred_at <= @until
  AND (e.type = ANY(@types::text[]) OR (e.category <> '' AND e.category = ANY(@categories::text[])))
  AND ((@group_by::text = 'actor' AND e.actor_external_id = ANY(@keys::text[]))
       OR (@group_by::text = 'target' AND EXISTS (SELECT 1 FROM event_targets t
                                                  WHERE t.event_id = e.id AND t.ordinal = 0 AND t.external_id = ANY(@keys::text[]))))
ORDER BY e.occurred_at, e.id
LIMIT 1000;

-- name: AdvanceEventWatermark :execrows
-- Moves the evaluator's event watermark of a connector from old_value to new_value; 0 rows when another
-- evaluation moved it first.
INSERT INTO lane_watermarks (connector_id, lane, stage, watermark)
VALUES (@connector_id, 'evaluator', 'events', @new_value::text)
ON CONFLICT (connector_id, lane, stage) DO UPDATE SET watermark = EXCLUDED.watermark, updated_at = now()
WHERE lane_watermarks.watermark = @old_value::text;
