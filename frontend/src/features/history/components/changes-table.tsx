import { Link } from '@tanstack/react-router'

import { DataTable } from '@/components/data-table'
import { formatDateTime } from '@/lib/format'

import type { AccessChange } from '../api/access-changes'
import { changeLabel, changeValues, heldVia } from './change-label'

function Principal({ c }: { c: AccessChange }) {
  const name = c.principal_name || c.principal_external_id
  if (c.identity_id) {
    return (
      <Link to="/identities/$id" params={{ id: String(c.identity_id) }}>
        {name}
      </Link>
    )
  }
  return <>{c.principal_kind === 'group' ? `group ${name}` : name}</>
}

/** Access changes, newest first; privileged changes are marked and highlighted. */
export function ChangesTable({ changes, caption = 'Access changes' }: { changes: AccessChange[]; caption?: string }) {
  return (
    <DataTable<AccessChange>
      caption={caption}
      rows={changes}
      rowKey={(c) => c.id}
      columns={[
        { key: 'observed_at', header: 'Observed', cell: (c) => formatDateTime(c.observed_at) },
        {
          key: 'change',
          header: 'Change',
          cell: (c) => (
            <span className={c.privileged ? 'change privileged' : 'change'}>
              {c.privileged && <span className="badge badge-bad">privileged</span>} {changeLabel(c.change)}
            </span>
          ),
        },
        { key: 'who', header: 'Who', cell: (c) => <Principal c={c} /> },
        { key: 'what', header: 'What', cell: (c) => c.target_name || c.target_external_id || '—' },
        { key: 'values', header: 'Before → after', cell: (c) => changeValues(c) || c.permission || '' },
        { key: 'how', header: 'How held', cell: (c) => heldVia(c) },
        { key: 'source', header: 'Connector', cell: (c) => c.connector_id },
        {
          key: 'seen_by',
          header: 'Observed by',
          cell: (c) => (c.run_id ? `run ${c.run_id}` : c.event_id ? `event ${c.event_id}` : '—'),
        },
      ]}
    />
  )
}
