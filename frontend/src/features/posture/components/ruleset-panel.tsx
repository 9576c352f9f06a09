import { Link } from '@tanstack/react-router'
import { useState } from 'react'

import { DataTable } from '@/components/data-table'
import { StatusBadge } from '@/components/status-badge'
import { SeverityBadge } from '@/features/findings/components/severity-badge'
import { formatAgo, formatDateTime } from '@/lib/format'

import { score, useRuleHistory, type RuleEvaluation, type RuleResult, type RulesetPosture } from '../api/get-posture'
import { asSeverity, severityRank } from './rule-status'
import { RulesTable } from './rules-table'
import { RulesetActions } from './ruleset-actions'

/** A horizontal bar of passed / evaluated. */
export function ScoreBar({ passed, evaluated }: { passed: number; evaluated: number }) {
  const pct = score({ passed, evaluated })
  return (
    <span className="score">
      <svg width="120" height="10" role="img" aria-label={pct === undefined ? 'not evaluated' : `${pct}% passed`}>
        <rect width="120" height="10" rx="3" fill="var(--border, #ddd)" />
        {pct !== undefined && <rect width={(120 * pct) / 100} height="10" rx="3" fill="var(--good, #2e7d32)" />}
      </svg>{' '}
      <strong>{pct === undefined ? '—' : `${pct}%`}</strong>{' '}
      <span className="muted">({passed} of {evaluated} passed)</span>
    </span>
  )
}

/**
 * One ruleset in one scope: its score, the failing rules with affected resources, and a row per rule with its
 * status and, for admins, its controls (attest, disable, parameters) and the ruleset's on/off switch. scope is
 * "global" or the connector id.
 */
export function RulesetPanel({ ruleset, scope, canEdit = false }: { ruleset: RulesetPosture; scope: string; canEdit?: boolean }) {
  const connector = scope === 'global' ? undefined : scope
  const failing = ruleset.results
    .filter((r) => r.status === 'fail')
    .sort((a, b) => (severityRank[a.severity] ?? 9) - (severityRank[b.severity] ?? 9) || a.rule_key.localeCompare(b.rule_key))
  return (
    <section className="panel" aria-label={`Ruleset ${ruleset.key}`}>
      <div className="panel-header">
        <h3>
          {ruleset.key} {ruleset.name && <span className="muted small">{ruleset.name}</span>}
        </h3>
        {ruleset.disabled && <StatusBadge tone="neutral">Ruleset disabled</StatusBadge>}
        <ScoreBar passed={ruleset.passed} evaluated={ruleset.evaluated} />
        {canEdit && <RulesetActions rulesetKey={ruleset.key} scope={scope} disabled={ruleset.disabled} />}
      </div>
      <div className="panel-body">
        {ruleset.disabled && <p className="muted">This ruleset is disabled in this scope: its rules are not applicable.</p>}
        {failing.length === 0 ? (
          <p className="muted">No failing rules.</p>
        ) : (
          <ul className="rule-list" aria-label={`Failing rules of ${ruleset.key}`}>
            {failing.map((r) => (
              <FailingRule key={r.rule_key} result={r} connector={connector} />
            ))}
          </ul>
        )}
        {ruleset.results.length === 0 ? (
          <p className="muted">No rule of this ruleset was evaluated yet.</p>
        ) : (
          <>
            <h4>
              Rules ({ruleset.results.length}{ruleset.other > 0 ? `, ${ruleset.other} not passed or failed` : ''})
            </h4>
            <RulesTable rulesetKey={ruleset.key} results={ruleset.results} scope={scope} canEdit={canEdit} />
          </>
        )}
      </div>
    </section>
  )
}

function FailingRule({ result: r, connector }: { result: RuleResult; connector?: string | undefined }) {
  const [history, setHistory] = useState(false)
  return (
    <li className="rule">
      <div>
        <SeverityBadge severity={asSeverity(r.severity)} /> <strong>{r.title}</strong> <code className="small">{r.rule_key}</code>
      </div>
      {r.summary && <p>{r.summary}</p>}
      <p className="muted small">
        {r.passed_count} of {r.selected} passed · evaluated {formatAgo(r.evaluated_at)} ·{' '}
        <Link to="/findings" search={{ rule: r.rule_key }}>findings</Link> ·{' '}
        <button type="button" className="link-button" aria-expanded={history} onClick={() => setHistory(!history)}>
          {history ? 'Hide history' : 'History'}
        </button>
      </p>
      {r.affected_total > 0 && (
        <details>
          <summary>Affected resources ({r.affected_total})</summary>
          <ul className="link-list">
            {r.affected.map((a) => (
              <li key={a.id}>
                {a.display || a.id} {a.display && <code className="small">{a.id}</code>} {a.reason && <span className="muted">({a.reason})</span>}
              </li>
            ))}
            {r.affected_total > r.affected.length && <li className="muted">…and {r.affected_total - r.affected.length} more</li>}
          </ul>
        </details>
      )}
      {history && <RuleHistory ruleset={r.ruleset_key} rule={r.rule_key} connector={connector} />}
    </li>
  )
}

function RuleHistory({ ruleset, rule, connector }: { ruleset: string; rule: string; connector?: string | undefined }) {
  const h = useRuleHistory({ ruleset, rule, connector })
  if (h.error) return <div role="alert" className="alert">Could not load the history. {h.error.message}</div>
  if (!h.data) return <p role="status" className="muted">Loading history…</p>
  if (h.data.length === 0) return <p className="muted">No history.</p>
  return (
    <DataTable<RuleEvaluation>
      caption={`History of ${rule}`}
      rows={h.data}
      rowKey={(e) => e.id}
      columns={[
        { key: 'at', header: 'Evaluated', cell: (e) => formatDateTime(e.evaluated_at) },
        { key: 'status', header: 'Status', cell: (e) => e.status.replace('_', ' ') },
        { key: 'n', header: 'Passed', cell: (e) => `${e.passed} of ${e.selected}` },
        { key: 'aff', header: 'Affected', cell: (e) => e.affected },
      ]}
    />
  )
}
