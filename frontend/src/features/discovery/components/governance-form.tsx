import { useState, type FormEvent } from 'react'

import { Field } from '@/components/field'

import type { AppDetail } from '../api/get-app'
import { useUpdateGovernance, type GovernanceUpdate } from '../api/update-governance'

type Gov = AppDetail['governance']

const states: Gov['state'][] = ['sanctioned', 'unsanctioned', 'under_review', 'ignored']
const criticalities: Gov['criticality'][] = ['unknown', 'low', 'medium', 'high', 'critical']
const classifications: Gov['classification'][] = ['unknown', 'public', 'internal', 'confidential', 'restricted']

/** The governance decision about an app: state, criticality, classification, owner, notes. */
export function GovernanceForm({ app, readOnly }: { app: AppDetail; readOnly: boolean }) {
  const [g, setG] = useState<Gov>(app.governance)
  const [owner, setOwner] = useState(app.governance.owner_identity_id ? String(app.governance.owner_identity_id) : '')
  const update = useUpdateGovernance(app.key)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const body: GovernanceUpdate = {
      state: g.state, criticality: g.criticality, classification: g.classification, notes: g.notes,
      owner_identity_id: owner ? Number(owner) : 0,
    }
    update.mutate(body)
  }
  const select = <K extends 'state' | 'criticality' | 'classification'>(label: string, key: K, options: Gov[K][], hint?: string) => (
    <Field label={label} help={hint}>
      {(a) => (
        <select {...a} value={g[key]} onChange={(e) => setG({ ...g, [key]: e.target.value })}>
          {options.map((o) => (
            <option key={o} value={o}>{o.replace('_', ' ')}</option>
          ))}
        </select>
      )}
    </Field>
  )
  return (
    <form className="form" onSubmit={submit} aria-label="Governance">
      <fieldset disabled={readOnly}>
        <legend>Governance</legend>
        {select('State', 'state', states)}
        {select('Criticality', 'criticality', criticalities, `Suggested: ${app.suggested_criticality}`)}
        {select('Classification', 'classification', classifications, `Suggested: ${app.suggested_classification}`)}
        <Field label="Owner identity ID" help="Empty clears the owner.">
          {(a) => <input {...a} type="number" min={1} value={owner} onChange={(e) => setOwner(e.target.value)} />}
        </Field>
        <Field label="Notes">
          {(a) => <textarea {...a} rows={3} value={g.notes} onChange={(e) => setG({ ...g, notes: e.target.value })} />}
        </Field>
      </fieldset>
      {update.error && <div role="alert" className="alert">{update.error.message}</div>}
      {update.isSuccess && <p role="status" className="note note-good">Saved.</p>}
      {!readOnly && (
        <button type="submit" className="button primary" disabled={update.isPending}>
          Save governance
        </button>
      )}
    </form>
  )
}
