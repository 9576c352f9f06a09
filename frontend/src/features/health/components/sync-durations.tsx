import { useQueries } from '@tanstack/react-query'
import { Link } from '@tanstack/react-router'

import { BarChart } from '@/components/charts'
import { Panel } from '@/components/panel'
import { QueryState } from '@/components/query-state'
import { useConnectors } from '@/features/connectors/api/list-connectors'
import { request } from '@/lib/api'
import { formatDateTime, formatDuration } from '@/lib/format'

const runs = 20

/** The durations of each connector's newest full syncs, oldest left; failed runs in red. */
export function SyncDurations() {
  const connectors = useConnectors({ limit: 10, offset: 0, sort: 'name' })
  const items = connectors.data?.items ?? []
  const results = useQueries({
    queries: items.map((c) => ({
      queryKey: ['health', 'durations', c.id],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        request('get', '/api/connectors/{id}/runs', { path: { id: c.id }, query: { limit: runs, lane: 'full', sort: '-started_at' }, signal }),
    })),
  })
  return (
    <Panel title="Sync durations" actions={<Link to="/settings/health">Connector health</Link>}>
      <QueryState what="connectors" query={connectors}>
        {(p) =>
          p.items.length === 0 ? (
            <p className="muted">No connectors yet.</p>
          ) : (
            <table className="data-table">
              <caption className="visually-hidden">Full sync durations per connector</caption>
              <thead>
                <tr>
                  <th scope="col">Connector</th>
                  <th scope="col">Last {runs} full syncs</th>
                  <th scope="col">Latest</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((c, i) => {
                  const r = results[i]
                  const done = (r?.data?.items ?? []).filter((x) => x.status !== 'running').reverse()
                  const latest = done[done.length - 1]
                  return (
                    <tr key={c.id}>
                      <th scope="row">{c.name}</th>
                      <td>
                        {r?.error ? (
                          <span className="muted">could not load</span>
                        ) : done.length === 0 ? (
                          <span className="muted">{r?.data ? 'no full syncs yet' : '…'}</span>
                        ) : (
                          <BarChart
                            label={`${c.name}: ${done.length} full syncs, latest ${formatDuration(latest?.duration_ms)}, longest ${formatDuration(Math.max(...done.map((x) => x.duration_ms)))}`}
                            bars={done.map((x) => ({
                              key: x.id, value: x.duration_ms, tone: x.status === 'succeeded' ? 'good' : 'bad',
                              label: `${formatDateTime(x.started_at)}: ${formatDuration(x.duration_ms)} (${x.status})`,
                            }))}
                          />
                        )}
                      </td>
                      <td>{latest ? formatDuration(latest.duration_ms) : '—'}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          )
        }
      </QueryState>
    </Panel>
  )
}
