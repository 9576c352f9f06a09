import { DataTable } from '@/components/data-table'
import { formatDateTime } from '@/lib/format'

import type { AuditEntry } from '../api/list-audit'

function Change({ e }: { e: AuditEntry }) {
  if (e.before === undefined && e.after === undefined) return <span className="muted">—</span>
  return (
    <details>
      <summary>Before / after</summary>
      {e.before !== undefined && <pre className="raw" aria-label="Before">{JSON.stringify(e.before, null, 2)}</pre>}
      {e.after !== undefined && <pre className="raw" aria-label="After">{JSON.stringify(e.after, null, 2)}</pre>}
    </details>
  )
}

/** Who changed what, when, with the state before and after (never secrets). */
export function AuditTable({ entries, sort, onSortChange }: { entries: AuditEntry[]; sort?: string | undefined; onSortChange?: (s: string) => void }) {
  return (
    <DataTable<AuditEntry>
      caption="Audit log"
      rows={entries}
      rowKey={(e) => e.id}
      sort={sort}
      {...(onSortChange ? { onSortChange } : {})}
      columns={[
        { key: 'at', header: 'When', sort: 'at', cell: (e) => formatDateTime(e.at) },
        { key: 'actor', header: 'Who', cell: (e) => e.actor },
        { key: 'action', header: 'Action', cell: (e) => <code>{e.action}</code> },
        { key: 'target', header: 'Target', cell: (e) => `${e.target_type} ${e.target_id}` },
        { key: 'change', header: 'Change', cell: (e) => <Change e={e} /> },
      ]}
    />
  )
}
