import { Link } from '@tanstack/react-router'

import { DataTable } from '@/components/data-table'
import { formatAgo } from '@/lib/format'

import type { Finding } from '../api/list-findings'
import { SeverityBadge } from './severity-badge'

export function FindingsTable({ findings, sort, onSortChange }: { findings: Finding[]; sort?: string | undefined; onSortChange?: (s: string) => void }) {
  return (
    <DataTable<Finding>
      caption="Findings"
      rows={findings}
      rowKey={(f) => f.id}
      sort={sort}
      {...(onSortChange ? { onSortChange } : {})}
      columns={[
        { key: 'sev', header: 'Severity', sort: 'severity', cell: (f) => <SeverityBadge severity={f.severity} /> },
        { key: 'title', header: 'Title', sort: 'title', cell: (f) => <Link to="/findings/$id" params={{ id: String(f.id) }}>{f.title}</Link> },
        { key: 'kind', header: 'Kind', cell: (f) => f.kind },
        { key: 'rule', header: 'Rule', cell: (f) => (f.rule_key ? <code>{f.rule_key}</code> : '—') },
        { key: 'status', header: 'Status', cell: (f) => f.status.replace('_', ' ') },
        { key: 'c', header: 'Connector', cell: (f) => f.connector_id ?? '—' },
        { key: 'seen', header: 'Last seen', sort: 'last_seen_at', cell: (f) => formatAgo(f.last_seen_at) },
      ]}
    />
  )
}
