import { Link } from '@tanstack/react-router'

import { LineChart } from '@/components/charts'
import { Panel } from '@/components/panel'
import { QueryState } from '@/components/query-state'

import { useFindingsTrend } from '../api/get-findings-trend'

/** Unresolved findings per day over the last 30 days, with the findings opened and resolved each day. */
export function FindingsTrend() {
  const trend = useFindingsTrend(30)
  return (
    <Panel title="Findings over time" actions={<Link to="/findings">All findings</Link>}>
      <QueryState what="the findings trend" query={trend}>
        {(data) => {
          const days = data ?? []
          if (days.length === 0) return <p className="muted">No data.</p>
          const last = days[days.length - 1]!
          const opened = days.reduce((n, d) => n + d.opened, 0)
          const resolved = days.reduce((n, d) => n + d.resolved, 0)
          return (
            <LineChart
              label={`Over the last ${days.length} days: ${opened} findings opened, ${resolved} resolved; ${last.unresolved} unresolved today.`}
              xLabels={days.map((d) => d.day.slice(5))}
              series={[
                { name: 'Unresolved', color: 'var(--accent)', values: days.map((d) => d.unresolved) },
                { name: 'Opened', color: 'var(--bad)', values: days.map((d) => d.opened) },
                { name: 'Resolved', color: 'var(--good)', values: days.map((d) => d.resolved) },
              ]}
            />
          )
        }}
      </QueryState>
    </Panel>
  )
}
