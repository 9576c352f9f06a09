import { Link } from '@tanstack/react-router'

import { Panel } from '@/components/panel'
import { formatAgo, formatDateTime } from '@/lib/format'

import type { Finding } from '../api/list-findings'
import { EvidenceTable } from './evidence-table'
import { FindingActions } from './finding-actions'
import { SeverityBadge } from './severity-badge'

type AffectedRef = NonNullable<Finding['affected']>[number]

/** A link to the page of what a finding names: a resource, an identity, or an account's identity (else its accounts list). */
function AffectedLink({ a }: { a: AffectedRef }) {
  if (a.type === 'resource') return <Link to="/resources/$id" params={{ id: String(a.id) }}>{a.name || a.external_id}</Link>
  if (a.type === 'identity') return <Link to="/identities/$id" params={{ id: String(a.id) }}>{a.name}</Link>
  if (a.identity_id !== undefined) return <Link to="/identities/$id" params={{ id: String(a.identity_id) }}>{a.name}</Link>
  return (
    <Link to="/connectors/$id/accounts" params={{ id: a.connector_id ?? '' }} search={{ q: a.external_id }}>{a.name}</Link>
  )
}

/** The access changes a finding names as affected resources (access_change:<id>, docs/access-history.md). */
export function changesOf(evidence: unknown): { id: string; display: string }[] {
  const affected = (evidence as { affected_resources?: unknown } | null | undefined)?.affected_resources
  if (!Array.isArray(affected)) return []
  const out: { id: string; display: string }[] = []
  for (const a of affected as { id?: unknown; display?: unknown }[]) {
    const m = typeof a?.id === 'string' ? /^access_change:(\d+)$/.exec(a.id) : null
    if (m?.[1]) out.push({ id: m[1], display: typeof a.display === 'string' && a.display ? a.display : a.id as string })
  }
  return out
}

/** A finding with its lifecycle state, evidence and (for admins) the lifecycle actions. */
export function FindingDetailView({ finding: f, readOnly }: { finding: Finding; readOnly: boolean }) {
  const changes = changesOf(f.evidence)
  return (
    <>
      <p><Link to="/findings">← Findings</Link></p>
      <h1>{f.title}</h1>
      <dl className="facts">
        <dt>Severity</dt>
        <dd><SeverityBadge severity={f.severity} /></dd>
        <dt>Status</dt>
        <dd>
          {f.status.replace('_', ' ')}
          {f.status_until && ` until ${formatDateTime(f.status_until)}`}
        </dd>
        {f.status_reason && (
          <>
            <dt>Reason</dt>
            <dd>{f.status_reason}</dd>
          </>
        )}
        <dt>Kind</dt>
        <dd>{f.kind}</dd>
        {f.rule_key && (
          <>
            <dt>Rule</dt>
            <dd>
              <code>{f.rule_key}</code>
              {f.kind === 'posture' && <> · <Link to="/posture" search={f.connector_id ? { connector: f.connector_id } : {}}>posture</Link></>}
            </dd>
          </>
        )}
        <dt>Connector</dt>
        <dd>{f.connector_id ?? 'global'}</dd>
        <dt>First seen</dt>
        <dd>{formatDateTime(f.first_seen_at)}</dd>
        <dt>Last seen</dt>
        <dd>{formatAgo(f.last_seen_at)}</dd>
        {f.resolved_at && (
          <>
            <dt>Resolved</dt>
            <dd>{formatDateTime(f.resolved_at)}</dd>
          </>
        )}
        <dt>Key</dt>
        <dd><code className="small">{f.dedupe_key}</code></dd>
      </dl>
      {!readOnly && <FindingActions finding={f} />}
      {f.rationale && (
        <Panel title="Why it matters">
          <p>{f.rationale}</p>
        </Panel>
      )}
      {f.remediation && (
        <Panel title="How to fix it">
          <p className="steps">{f.remediation}</p>
        </Panel>
      )}
      {f.affected && f.affected.length > 0 && (
        <Panel title={`Affected (${f.affected.length})`}>
          <ul className="affected-list">
            {f.affected.map((a) => (
              <li key={`${a.type}-${a.id}`}>
                <span className="muted small">{a.type}</span> <AffectedLink a={a} />
                {a.external_id && a.external_id !== a.name && <> <code className="small">{a.external_id}</code></>}
              </li>
            ))}
          </ul>
        </Panel>
      )}
      {changes.length > 0 && (
        <Panel
          title={`Access changes (${changes.length})`}
          actions={
            changes.length > 1 && (
              <Link to="/access-changes" search={{ id: changes.map((c) => `access_change:${c.id}`).join(',') }}>
                All {changes.length} in the changes view
              </Link>
            )
          }
        >
          <ul className="affected-list">
            {changes.map((c) => (
              <li key={c.id}>
                <Link to="/access-changes" search={{ id: `access_change:${c.id}` }}>{c.display}</Link>
              </li>
            ))}
          </ul>
        </Panel>
      )}
      <Panel title="Evidence">
        {f.evidence === undefined || f.evidence === null ? (
          <p className="muted">No evidence recorded.</p>
        ) : (
          <EvidenceTable evidence={f.evidence} />
        )}
      </Panel>
    </>
  )
}
