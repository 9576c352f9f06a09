-- +goose Up
-- Discovery evidence was stored under its own key (the provider's app id "id:…", else "domain:<raw domain>", else
-- "name:<name>") while discovered apps use the canonical key of rules.md §6.1 ("domain:<registrable domain>",
-- "entra_appid:…", "okta_app:<source>:<app id>", "google_client:…", "name:<slug>:<kind>"), so an app's detail
-- found none of the evidence its counts came from. This re-keys stored evidence to the canonical key, merging rows
-- that now share (connector, kind, app, actor). The lane runner keys new evidence with discovery.CanonicalKey.
-- SQL has no public-suffix list: the registrable domain here is the cleaned host's last two labels, or three under
-- a common two-level suffix (co.uk, com.au, …), which is what the Go function returns for such hosts.
CREATE TEMP TABLE evidence_rekey AS
WITH e AS (
    SELECT e.id, e.connector_id, e.kind, e.actor_key, e.app_id, e.app_name, COALESCE(c.kind, '') AS connector_kind,
           regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
               lower(btrim(e.domain)),
               '^[a-z][a-z0-9+.-]*://', ''),   -- scheme
               '[/?#].*$', ''),                -- path, query, fragment
               '^[^@]*@', ''),                 -- user info
               ':[0-9]*$', ''),                -- port
               '^\*\.', ''),                   -- wildcard
               '\.+$', '') AS host
    FROM saas_app_evidence e LEFT JOIN connectors c ON c.id = e.connector_id
), h AS (
    SELECT e.*, CASE WHEN e.host ~ '^www\.' THEN substr(e.host, 5) ELSE e.host END AS h
    FROM e
), d AS (
    SELECT h.*,
           CASE WHEN h.h = '' OR h.h !~ '\.' OR h.h ~ '^[0-9.]+$' OR h.h ~ ':' OR h.h ~ '[^a-z0-9.-]' THEN ''
                WHEN h.h ~ '\.(co|com|net|org|gov|edu|ac|or|ne|go)\.[a-z]{2}$'
                    THEN COALESCE(substring(h.h FROM '([^.]+\.[^.]+\.[^.]+)$'), h.h)
                ELSE COALESCE(substring(h.h FROM '([^.]+\.[^.]+)$'), h.h) END AS registrable,
           btrim(regexp_replace(lower(h.app_name), '[^a-z0-9]+', '-', 'g'), '-') AS name_slug,
           btrim(regexp_replace(lower(h.app_id), '[^a-z0-9]+', '-', 'g'), '-') AS id_slug
    FROM h
)
SELECT d.id, d.connector_id, d.kind, d.actor_key,
       CASE WHEN d.registrable <> '' THEN 'domain:' || d.registrable
            WHEN d.connector_kind = 'entra'
                 AND d.app_id ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                THEN 'entra_appid:' || lower(d.app_id)
            WHEN d.connector_kind = 'okta' AND d.app_id <> '' THEN 'okta_app:' || lower(d.connector_id) || ':' || lower(d.app_id)
            WHEN d.connector_kind = 'google_workspace' AND d.app_id <> '' THEN 'google_client:' || d.app_id
            ELSE 'name:' || COALESCE(NULLIF(rtrim(left(d.name_slug, 64), '-'), ''), NULLIF(rtrim(left(d.id_slug, 64), '-'), ''), 'unknown')
                 || ':' || d.connector_kind
       END AS app_key
FROM d;

-- Rows that now share a key merge into the newest: counts add up, times widen, scopes join, the newest event stays.
CREATE TEMP TABLE evidence_merge AS
SELECT r.connector_id, r.kind, r.app_key, r.actor_key, max(r.id) AS keep, array_agg(r.id) AS ids
FROM evidence_rekey r
GROUP BY r.connector_id, r.kind, r.app_key, r.actor_key
HAVING count(*) > 1;

UPDATE saas_app_evidence e
SET occurrences   = (SELECT sum(x.occurrences) FROM saas_app_evidence x WHERE x.id = ANY (m.ids)),
    first_seen_at = (SELECT min(x.first_seen_at) FROM saas_app_evidence x WHERE x.id = ANY (m.ids)),
    last_seen_at  = (SELECT max(x.last_seen_at) FROM saas_app_evidence x WHERE x.id = ANY (m.ids)),
    scopes        = ARRAY(SELECT DISTINCT s FROM saas_app_evidence x, unnest(x.scopes) AS s WHERE x.id = ANY (m.ids) ORDER BY 1),
    last_event_id = (SELECT x.last_event_id FROM saas_app_evidence x WHERE x.id = ANY (m.ids) ORDER BY x.last_seen_at DESC, x.id DESC LIMIT 1)
FROM evidence_merge m
WHERE e.id = m.keep;

DELETE FROM saas_app_evidence e USING evidence_merge m WHERE e.id = ANY (m.ids) AND e.id <> m.keep;

-- Two steps, so no row takes a key another row still holds on the way.
UPDATE saas_app_evidence e SET app_key = 'rekey:' || e.id FROM evidence_rekey r WHERE r.id = e.id AND e.app_key <> r.app_key;
UPDATE saas_app_evidence e SET app_key = r.app_key FROM evidence_rekey r WHERE r.id = e.id AND e.app_key <> r.app_key;

DROP TABLE evidence_merge, evidence_rekey;

-- +goose Down
-- The earlier keys are not kept; evidence stays under the canonical key.
SELECT 1;
