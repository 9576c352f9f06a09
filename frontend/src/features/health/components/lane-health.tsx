import { DataTable } from '@/components/data-table'
import { Panel } from '@/components/panel'
import { StatusBadge } from '@/components/status-badge'
import { formatAgo, formatDateTime, formatSeconds } from '@/lib/format'

import type { SystemHealth } from '../api/get-system-health'

type Lane = SystemHealth['lanes'][number]
type Inbox = SystemHealth['inbox'][number]
type Tail = SystemHealth['tail'][number]

/** Each lane's last activity, the push inbox's depth and the tails' lag: what to check when data is missing. */
export function LaneHealth({ health }: { health: SystemHealth }) {
  return (
    <>
      <Panel title="Lanes">
        <DataTable<Lane>
          caption="Lane activity"
          rows={health.lanes}
          rowKey={(l) => l.lane}
          columns={[
            { key: 'lane', header: 'Lane', cell: (l) => l.lane },
            { key: 'last', header: 'Last activity', cell: (l) => formatAgo(l.last_activity_at) },
            { key: 'running', header: 'Running', cell: (l) => l.running },
            {
              key: 'failing', header: 'Failing connectors',
              cell: (l) => (l.failing ? <StatusBadge tone="bad">{l.failing}</StatusBadge> : 0),
            },
          ]}
        />
        {health.queue && (
          <p>
            Queue: {health.queue.ready} ready, {health.queue.dead} dead.
          </p>
        )}
      </Panel>
      <Panel title="Event inbox">
        {health.inbox.length === 0 ? (
          <p className="muted">No push deliveries.</p>
        ) : (
          <DataTable<Inbox>
            caption="Inbox depth"
            rows={health.inbox}
            rowKey={(i) => i.connector_id}
            columns={[
              { key: 'c', header: 'Connector', cell: (i) => i.connector_id },
              { key: 'depth', header: 'Waiting', cell: (i) => i.received },
              { key: 'processed', header: 'Processed', cell: (i) => i.processed },
              { key: 'failed', header: 'Failed', cell: (i) => i.failed },
              { key: 'dead', header: 'Dead', cell: (i) => (i.dead ? <StatusBadge tone="bad">{i.dead}</StatusBadge> : 0) },
              { key: 'recv', header: 'Last received', cell: (i) => formatAgo(i.last_received_at) },
            ]}
          />
        )}
      </Panel>
      <Panel title="Event tails">
        {health.tail.length === 0 ? (
          <p className="muted">No event streams.</p>
        ) : (
          <DataTable<Tail>
            caption="Tail lag"
            rows={health.tail}
            rowKey={(t) => `${t.connector_id}/${t.stream}`}
            columns={[
              { key: 'c', header: 'Connector', cell: (t) => t.connector_id },
              { key: 's', header: 'Stream', cell: (t) => t.stream },
              { key: 'lag', header: 'Lag', cell: (t) => formatSeconds(t.lag_seconds) },
              { key: 'hw', header: 'Read up to', cell: (t) => formatAgo(t.high_water_at) },
              { key: 'rate', header: 'Requests', cell: (t) => tailRate(t) },
              { key: 'state', header: 'State', cell: (t) => <TailState tail={t} /> },
            ]}
          />
        )}
      </Panel>
    </>
  )
}

/** The tail's request rate against its provider's rate-limit bucket, e.g. "2/min of 50/min (4%)". */
export function tailRate(tail: Tail): string {
  const rate = `${tail.requests_per_minute}/min`
  if (!tail.bucket_limit_per_minute) return rate
  const share = Math.round((100 * tail.requests_per_minute) / tail.bucket_limit_per_minute)
  return `${rate} of ${tail.bucket_limit_per_minute}/min (${share}%)`
}

/**
 * A stream the connector cannot read (its plan or credential) is a state, not an error: it says why and when it is
 * tried again. A stream held back by a rate limit says until when; otherwise the last error, if any.
 */
export function TailState({ tail }: { tail: Tail }) {
  if (tail.unavailable) {
    return (
      <span>
        <StatusBadge tone="neutral">unavailable</StatusBadge> {tail.unavailable_reason}
        {tail.next_read_at ? <span className="muted"> — next try {formatDateTime(tail.next_read_at)}</span> : null}
      </span>
    )
  }
  if (tail.last_error) return <pre className="inline-error">{tail.last_error}</pre>
  if (tail.next_read_at) {
    return <span className="muted">waiting for the provider's rate limit until {formatDateTime(tail.next_read_at)}</span>
  }
  // Behind without another state: the provider's log is quiet (or publishes late), or the tail is not read.
  if (tail.behind === 'quiet') return <span className="muted">caught up: {tail.behind_reason}</span>
  if (tail.behind === 'not_read') return <StatusBadge tone="bad">{tail.behind_reason}</StatusBadge>
  return <>—</>
}
