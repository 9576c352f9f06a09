import { Link } from '@tanstack/react-router'

import { DataTable } from '@/components/data-table'
import { formatAgo } from '@/lib/format'

import type { App } from '../api/list-apps'
import { RiskBadge } from './risk-badge'

export function AppsTable({ apps, sort, onSortChange }: { apps: App[]; sort?: string | undefined; onSortChange?: (s: string) => void }) {
  return (
    <DataTable<App>
      caption="Discovered apps"
      rows={apps}
      rowKey={(a) => a.key}
      sort={sort}
      {...(onSortChange ? { onSortChange } : {})}
      columns={[
        { key: 'name', header: 'App', sort: 'display_name', cell: (a) => <Link to="/discovery/$key" params={{ key: a.key }}>{a.display_name}</Link> },
        { key: 'domain', header: 'Domain', cell: (a) => a.domain ?? '—' },
        { key: 'risk', header: 'Risk', sort: 'risk_score', cell: (a) => <RiskBadge level={a.risk_level} score={a.risk_score} /> },
        { key: 'state', header: 'State', cell: (a) => a.governance.state.replace('_', ' ') },
        { key: 'managed', header: 'Managed', cell: (a) => a.managed_state },
        { key: 'actors', header: 'Actors (30 d)', sort: 'actors_30d', cell: (a) => a.actors_30d },
        { key: 'seen', header: 'Last seen', sort: 'last_seen_at', cell: (a) => formatAgo(a.last_seen_at) },
      ]}
    />
  )
}
