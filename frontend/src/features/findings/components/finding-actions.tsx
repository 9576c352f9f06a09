import { useState, type FormEvent } from 'react'

import { Field } from '@/components/field'

import type { Finding } from '../api/list-findings'
import { useSetFindingStatus, type FindingStatusChange } from '../api/set-finding-status'

type Decision = 'suppressed' | 'accepted_risk'

/** An admin's lifecycle actions on a finding: suppress or accept the risk (with a reason and an optional expiry),
 *  resolve, reopen. */
export function FindingActions({ finding }: { finding: Finding }) {
  const set = useSetFindingStatus(finding.id)
  const [decision, setDecision] = useState<Decision | null>(null)
  const [reason, setReason] = useState('')
  const [until, setUntil] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!decision) return
    const body: FindingStatusChange = { status: decision, reason: reason.trim() }
    if (until) body.until = new Date(`${until}T00:00:00Z`).toISOString()
    set.mutate(body, { onSuccess: () => { setDecision(null); setReason(''); setUntil('') } })
  }
  const open = finding.status === 'open'
  return (
    <section className="panel" aria-label="Actions">
      <div className="panel-header"><h2>Actions</h2></div>
      <div className="panel-body">
        <div className="actions">
          {open && (
            <>
              <button type="button" className="button" onClick={() => setDecision('suppressed')}>Suppress…</button>
              <button type="button" className="button" onClick={() => setDecision('accepted_risk')}>Accept risk…</button>
              <button type="button" className="button" disabled={set.isPending}
                onClick={() => set.mutate({ status: 'resolved' })}>Resolve</button>
            </>
          )}
          {!open && (
            <button type="button" className="button" disabled={set.isPending} onClick={() => set.mutate({ status: 'open' })}>
              Reopen
            </button>
          )}
        </div>
        {decision && (
          <form className="form" onSubmit={submit} aria-label={decision === 'suppressed' ? 'Suppress the finding' : 'Accept the risk'}>
            <Field label="Reason" help="Required; kept with the finding and in the audit log.">
              {(a) => <textarea {...a} rows={3} required value={reason} onChange={(e) => setReason(e.target.value)} />}
            </Field>
            <Field label="Until (optional)" help="The finding reopens on this day (UTC). Empty: no expiry.">
              {(a) => <input {...a} type="date" value={until} onChange={(e) => setUntil(e.target.value)} />}
            </Field>
            <div className="actions">
              <button type="submit" className="button primary" disabled={set.isPending || reason.trim() === ''}>
                {decision === 'suppressed' ? 'Suppress' : 'Accept risk'}
              </button>
              <button type="button" className="button" onClick={() => setDecision(null)}>Cancel</button>
            </div>
          </form>
        )}
        {set.error && <div role="alert" className="alert">{set.error.message}</div>}
      </div>
    </section>
  )
}
