import { DataTable } from '@/components/data-table'
import { StatusBadge } from '@/components/status-badge'
import { formatDateTime } from '@/lib/format'

import type { EventSummary } from '../api/list-events'

export function EventsTable({ events, sort, onSortChange }: { events: EventSummary[]; sort?: string | undefined; onSortChange?: (s: string) => void }) {
  return (
    <DataTable<EventSummary>
      caption="Events"
      rows={events}
      rowKey={(e) => e.id}
      sort={sort}
      {...(onSortChange ? { onSortChange } : {})}
      columns={[
        { key: 'at', header: 'When', sort: 'occurred_at', cell: (e) => formatDateTime(e.occurred_at) },
        { key: 'type', header: 'Type', sort: 'type', cell: (e) => <code>{e.type}</code> },
        { key: 'actor', header: 'Actor', cell: (e) => e.actor_display ?? e.actor_external_id ?? '—' },
        {
          key: 'outcome', header: 'Outcome',
          cell: (e) => (e.outcome ? <StatusBadge tone={/fail|deny/i.test(e.outcome) ? 'bad' : 'neutral'}>{e.outcome}</StatusBadge> : '—'),
        },
        { key: 'c', header: 'Source', cell: (e) => `${e.connector_id} (${e.source})` },
      ]}
    />
  )
}
