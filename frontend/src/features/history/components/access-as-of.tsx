import { useState } from 'react'

import { Field } from '@/components/field'
import { Panel } from '@/components/panel'
import { Empty, QueryState } from '@/components/query-state'
import { formatDateTime } from '@/lib/format'

import { useAccessAsOf } from '../api/access-as-of'
import { heldVia } from './change-label'

/** Pick a date and see the identity's access as it was at the end of that day (UTC). */
export function AccessAsOfPanel({ identityId }: { identityId: number }) {
  const [day, setDay] = useState('')
  const at = day ? `${day}T23:59:59Z` : undefined
  const asOf = useAccessAsOf(identityId, at)
  return (
    <Panel title="Access as of a date">
      <Field label="Date (end of day, UTC)">
        {(p) => <input {...p} type="date" value={day} onChange={(e) => setDay(e.target.value)} />}
      </Field>
      {at && (
        <QueryState what="the access at that date" query={asOf}>
          {(a) =>
            a.accounts.length === 0 ? (
              <Empty>No linked account held access then.</Empty>
            ) : (
              <>
                {a.history_since && <p className="muted">History is recorded since {formatDateTime(a.history_since)}.</p>}
                {a.accounts.map((acc) => (
                  <section key={acc.account_id} aria-label={`${acc.connector_id} ${acc.external_id} as of ${day}`}>
                    <h3>
                      {acc.display_name || acc.email || acc.external_id} <span className="muted">({acc.connector_id}, {acc.status}{acc.is_admin ? ', admin' : ''})</span>
                    </h3>
                    {acc.access.length === 0 ? (
                      <p className="muted">No memberships, grants or credentials.</p>
                    ) : (
                      <ul>
                        {acc.access.map((h, i) => (
                          <li key={i} className={h.privileged ? 'privileged' : undefined}>
                            {h.entity} {h.target_name || h.target_external_id}
                            {h.permission ? `: ${h.permission}` : ''} {heldVia(h) && <span className="muted">({heldVia(h)})</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </section>
                ))}
              </>
            )
          }
        </QueryState>
      )}
    </Panel>
  )
}
