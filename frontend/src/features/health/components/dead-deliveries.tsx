import { useState } from 'react'

import { DataTable, Pager } from '@/components/data-table'
import { Panel } from '@/components/panel'
import { Empty, QueryState } from '@/components/query-state'
import { formatDateTime } from '@/lib/format'

import { useDeadDeliveries } from '../api/list-dead-deliveries'
import { useReplayDeadDelivery } from '../api/replay-dead-delivery'

type Dead = NonNullable<ReturnType<typeof useDeadDeliveries>['data']>['items'][number]

/** Push deliveries that used all their attempts, with replay for admins. */
export function DeadDeliveries({ canReplay }: { canReplay: boolean }) {
  const [offset, setOffset] = useState(0)
  const limit = 20
  const dead = useDeadDeliveries(offset, limit)
  const replay = useReplayDeadDelivery()
  return (
    <Panel title="Dead deliveries">
      {replay.error && <div role="alert" className="alert">{replay.error.message}</div>}
      <QueryState what="dead deliveries" query={dead}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No dead deliveries.</Empty>
          ) : (
            <>
              <DataTable<Dead>
                caption="Dead deliveries"
                rows={p.items}
                rowKey={(d) => d.id}
                columns={[
                  { key: 'c', header: 'Connector', cell: (d) => d.connector_id ?? '—' },
                  { key: 'at', header: 'Received', cell: (d) => formatDateTime(d.received_at ?? d.enqueued_at) },
                  { key: 'n', header: 'Attempts', cell: (d) => d.attempts },
                  { key: 'err', header: 'Last error', cell: (d) => <pre className="inline-error">{d.last_error}</pre> },
                  ...(canReplay
                    ? [{
                        key: 'replay', header: 'Replay',
                        cell: (d: Dead) => (
                          <button type="button" className="button small" disabled={replay.isPending} onClick={() => replay.mutate(d.id)}>
                            Replay <span className="visually-hidden">delivery {d.id}</span>
                          </button>
                        ),
                      }]
                    : []),
                ]}
              />
              <Pager total={p.total} limit={limit} offset={offset} onPage={(n) => setOffset((n - 1) * limit)} />
            </>
          )
        }
      </QueryState>
    </Panel>
  )
}
