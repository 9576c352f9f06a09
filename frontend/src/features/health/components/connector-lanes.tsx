import type { ReactNode } from 'react'

import { DataTable } from '@/components/data-table'
import { Panel } from '@/components/panel'
import { formatAgo } from '@/lib/format'

import type { LaneStatus } from '../api/get-system-health'
import { RunError, RunProgressBar, RunStatus } from './run-status'
import { RunsTable } from './runs-table'
import { RunUnavailable } from './run-unavailable'

/** One connector's health: each lane's last run, a running run's progress, the newest failure in full, the runs. */
export function ConnectorLanes({
  connectorId,
  lanes,
  actions,
  children,
}: {
  connectorId: string
  lanes: LaneStatus[]
  actions?: ReactNode
  children?: ReactNode
}) {
  const running = lanes.flatMap((l) => (l.last_run?.status === 'running' ? [l.last_run] : []))
  const failures = lanes.flatMap((l) => (l.last_failure && l.last_status === 'failed' ? [l.last_failure] : []))
  return (
    <Panel title={`Connector ${connectorId}`} actions={actions}>
      {children}
      {running.map((r) => (
        <RunProgressBar key={r.id} run={r} />
      ))}
      <DataTable<LaneStatus>
        caption={`Lanes of ${connectorId}`}
        rows={lanes}
        rowKey={(l) => l.lane}
        columns={[
          { key: 'lane', header: 'Lane', cell: (l) => l.lane },
          { key: 'status', header: 'Last run', cell: (l) => <RunStatus status={l.last_status} /> },
          { key: 'activity', header: 'Last activity', cell: (l) => formatAgo(l.last_activity_at) },
          { key: 'success', header: 'Last success', cell: (l) => formatAgo(l.last_success_at) },
          { key: 'fails', header: 'Failures in a row', cell: (l) => l.consecutive_failures },
          { key: 'next', header: 'Next due', cell: (l) => (l.next_due_at ? new Date(l.next_due_at).toLocaleTimeString() : '—') },
        ]}
      />
      {failures.map((r) => (
        <RunError key={r.id} run={r} />
      ))}
      {lanes.flatMap((l) => (l.last_run && l.last_run.status !== 'running' ? [<RunUnavailable key={l.lane} run={l.last_run} />] : []))}
      <h3>Newest runs</h3>
      <RunsTable connectorId={connectorId} />
    </Panel>
  )
}
