import { useState, type FormEvent } from 'react'

import { Field } from '@/components/field'

import { useAttestRule, type AttestationChange } from '../api/attest-rule'
import type { RuleAttestation, RuleTarget } from '../api/rule-controls'

const statuses: { value: AttestationChange['status']; label: string }[] = [
  { value: 'pass', label: 'pass' },
  { value: 'fail', label: 'fail' },
  { value: 'not_applicable', label: 'not applicable' },
]

/** The day n days from now, as a date input's value (UTC). */
function dayIn(n: number): string {
  return new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)
}

/**
 * An attestation of a rule's status: a status, a note (required) and an expiry day, 365 days ahead by default
 * (docs/rules-engine.md#data-quirks-we-decide). A current, unexpired attestation is the starting point.
 */
export function AttestForm({ target, current, onDone }: { target: RuleTarget; current?: RuleAttestation | undefined; onDone: () => void }) {
  const attest = useAttestRule(target)
  const valid = current && !current.expired ? current : undefined
  const [status, setStatus] = useState<AttestationChange['status']>(valid?.status ?? 'pass')
  const [note, setNote] = useState(valid?.note ?? '')
  const [expires, setExpires] = useState(valid ? (valid.expires_at?.slice(0, 10) ?? '') : dayIn(365))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const body: AttestationChange = { status, note: note.trim() }
    if (expires) body.expires_at = new Date(`${expires}T00:00:00Z`).toISOString()
    attest.mutate(body, { onSuccess: onDone })
  }
  return (
    <form className="form" onSubmit={submit} aria-label={`Attest ${target.rule}`}>
      <Field label="Status">
        {(a) => (
          <select {...a} value={status} onChange={(e) => setStatus(e.target.value as AttestationChange['status'])}>
            {statuses.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
        )}
      </Field>
      <Field label="Note" help="Required: what was checked, and how. Kept with the result and in the audit log.">
        {(a) => <textarea {...a} rows={3} required maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />}
      </Field>
      <Field label="Expires" help="Optional. The attestation lapses at the start of this day (UTC) and the rule is evaluated again; empty: never.">
        {(a) => <input {...a} type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />}
      </Field>
      <div className="actions">
        <button type="submit" className="button primary" disabled={attest.isPending || note.trim() === ''}>Save attestation</button>
        <button type="button" className="button" onClick={onDone}>Cancel</button>
      </div>
      {attest.error && <div role="alert" className="alert">{attest.error.message}</div>}
    </form>
  )
}
