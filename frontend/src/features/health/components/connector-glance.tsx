import { Link } from '@tanstack/react-router'

import { Panel } from '@/components/panel'
import { QueryState } from '@/components/query-state'
import { formatAgo } from '@/lib/format'

import { useSystemHealth, type LaneStatus } from '../api/get-system-health'
import { RunStatus } from './run-status'

/** One line per connector: its worst lane state and the last activity. */
export function ConnectorGlance() {
  const health = useSystemHealth()
  return (
    <Panel title="Connector health" actions={<Link to="/settings/health">Details</Link>}>
      <QueryState what="connector health" query={health}>
        {(h) => {
          const by = new Map<string, LaneStatus[]>()
          for (const l of h.connectors) by.set(l.connector_id, [...(by.get(l.connector_id) ?? []), l])
          if (by.size === 0) return <p className="muted">No connectors have run yet.</p>
          return (
            <ul className="glance">
              {[...by].map(([id, lanes]) => {
                const status = lanes.some((l) => l.last_run?.status === 'running')
                  ? 'running'
                  : lanes.some((l) => l.last_status === 'failed')
                    ? 'failed'
                    : lanes.find((l) => l.last_status)?.last_status
                const last = lanes.map((l) => l.last_activity_at).filter(Boolean).sort().at(-1)
                return (
                  <li key={id}>
                    <strong>{id}</strong> <RunStatus status={status} /> <span className="muted">{formatAgo(last)}</span>
                  </li>
                )
              })}
            </ul>
          )
        }}
      </QueryState>
    </Panel>
  )
}
