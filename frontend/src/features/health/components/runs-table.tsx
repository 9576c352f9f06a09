import { DataTable } from '@/components/data-table'
import { Empty, QueryState } from '@/components/query-state'
import { formatDateTime, formatDuration } from '@/lib/format'

import type { Run } from '../api/get-system-health'
import { useRuns } from '../api/list-runs'
import { Counts, RunError, RunProgressBar, RunStatus } from './run-status'

/** A connector's newest runs: status, duration, counts, and an error or the live progress. */
export function RunsTable({ connectorId }: { connectorId: string }) {
  const runs = useRuns(connectorId)
  return (
    <QueryState what="runs" query={runs}>
      {(p) =>
        p.items.length === 0 ? (
          <Empty>No runs yet.</Empty>
        ) : (
          <DataTable<Run>
            caption={`Runs of ${connectorId}`}
            rows={p.items}
            rowKey={(r) => r.id}
            columns={[
              { key: 'lane', header: 'Lane', cell: (r) => r.lane },
              { key: 'status', header: 'Status', cell: (r) => <RunStatus status={r.status} /> },
              { key: 'trigger', header: 'Trigger', cell: (r) => r.trigger },
              { key: 'started', header: 'Started', cell: (r) => formatDateTime(r.started_at) },
              { key: 'duration', header: 'Duration', cell: (r) => formatDuration(r.duration_ms) },
              { key: 'counts', header: 'Counts', cell: (r) => <Counts counts={r.counts} /> },
              {
                key: 'detail', header: 'Detail',
                cell: (r) => (r.status === 'running' ? <RunProgressBar run={r} /> : <RunError run={r} />),
              },
            ]}
          />
        )
      }
    </QueryState>
  )
}
