import { DataTable, type Column } from '@/components/data-table'
import { StatusBadge } from '@/components/status-badge'
import { SeverityBadge } from '@/features/findings/components/severity-badge'
import { formatAgo, formatDateTime } from '@/lib/format'

import type { RuleResult } from '../api/get-posture'
import { asSeverity, statusTone } from './rule-status'
import { RuleActions } from './rule-actions'

/** What a rule's status rests on: an attestation (or one that lapsed), a disabled rule, custom parameters. */
function StatusCell({ result: r }: { result: RuleResult }) {
  const a = r.attestation
  return (
    <>
      <StatusBadge tone={statusTone(r.status)}>{r.status.replace('_', ' ')}</StatusBadge>
      {a && !a.expired && <> <StatusBadge tone="neutral">Attested</StatusBadge></>}
      {r.override?.enabled === false && <> <StatusBadge tone="neutral">Rule disabled</StatusBadge></>}
      {a && (
        <p className="muted small">
          {a.expired ? `Attestation (${a.status.replace('_', ' ')}) expired` : `Attested ${a.status.replace('_', ' ')}`} by {a.by},{' '}
          {formatDateTime(a.at)}
          {a.expires_at && ` · ${a.expired ? 'lapsed' : 'expires'} ${formatDateTime(a.expires_at)}`} — {a.note}
        </p>
      )}
      {r.override?.params && Object.keys(r.override.params).length > 0 && (
        <p className="muted small">Custom parameters: {Object.entries(r.override.params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}</p>
      )}
    </>
  )
}

/**
 * Every rule of a ruleset in a scope, one row each (the row names the rule key): its status and why, and for
 * admins the controls.
 */
export function RulesTable({ rulesetKey, results, scope, canEdit }: {
  rulesetKey: string
  results: RuleResult[]
  scope: string
  canEdit: boolean
}) {
  const columns: Column<RuleResult>[] = [
    {
      key: 'rule', header: 'Rule', cell: (r) => (
        <>
          <code>{r.rule_key}</code>
          {r.manual && <> <StatusBadge tone="neutral">Manual</StatusBadge></>}
          {r.title !== r.rule_key && <div>{r.title}</div>}
        </>
      ),
    },
    { key: 'severity', header: 'Severity', cell: (r) => <SeverityBadge severity={asSeverity(r.severity)} /> },
    { key: 'status', header: 'Status', cell: (r) => <StatusCell result={r} /> },
    { key: 'why', header: 'Why', cell: (r) => r.reason || r.error_kind || r.summary || '—' },
    { key: 'at', header: 'Evaluated', cell: (r) => formatAgo(r.evaluated_at) },
  ]
  if (canEdit) columns.push({ key: 'actions', header: 'Actions', cell: (r) => <RuleActions result={r} scope={scope} /> })
  // Grouped by status, failing first; passing rules are collapsed under their count.
  const open = results
    .filter((r) => r.status !== 'pass')
    .sort((a, b) => (statusRank[a.status] ?? 9) - (statusRank[b.status] ?? 9))
  const passing = results.filter((r) => r.status === 'pass')
  return (
    <>
      {open.length > 0 || passing.length === 0 ? (
        <DataTable<RuleResult> caption={`Rules of ${rulesetKey}`} rows={open} rowKey={(r) => r.rule_key} columns={columns} />
      ) : (
        <p className="muted">Every rule passes.</p>
      )}
      {passing.length > 0 && (
        <details className="passing-rules">
          <summary>Passing rules ({passing.length})</summary>
          <DataTable<RuleResult> caption={`Passing rules of ${rulesetKey}`} rows={passing} rowKey={(r) => r.rule_key} columns={columns} />
        </details>
      )}
    </>
  )
}

/** The order of the status groups: what needs work first. */
const statusRank: Record<string, number> = { fail: 0, error: 1, unknown: 2, not_applicable: 3 }
