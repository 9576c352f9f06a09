import { Link } from '@tanstack/react-router'

import { DataTable } from '@/components/data-table'
import { formatAgo } from '@/lib/format'

import type { Resource } from '../api/resources'

export function ResourcesTable({ resources, sort, onSortChange }: { resources: Resource[]; sort?: string | undefined; onSortChange?: (s: string) => void }) {
  return (
    <DataTable<Resource>
      caption="Resources"
      rows={resources}
      rowKey={(r) => r.id}
      sort={sort}
      {...(onSortChange ? { onSortChange } : {})}
      columns={[
        { key: 'name', header: 'Name', sort: 'name', cell: (r) => <Link to="/resources/$id" params={{ id: String(r.id) }}>{r.name || r.external_id}</Link> },
        { key: 'kind', header: 'Kind', sort: 'kind', cell: (r) => r.kind.replace('_', ' ') },
        { key: 'c', header: 'Source', sort: 'connector_id', cell: (r) => r.connector_id },
        { key: 'grants', header: 'Grants', cell: (r) => r.grants },
        { key: 'state', header: 'State', cell: (r) => (r.expired ? 'gone' : 'live') },
        { key: 'first', header: 'First seen', sort: 'first_seen_at', cell: (r) => formatAgo(r.first_seen_at) },
      ]}
    />
  )
}
