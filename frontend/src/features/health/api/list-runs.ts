import { useQuery } from '@tanstack/react-query'

import { request } from '@/lib/api'

import { idlePollMs, runningPollMs } from './get-system-health'

/** listRuns reads a connector's newest runs. */
export function listRuns(id: string, limit: number, signal?: AbortSignal) {
  return request('get', '/api/connectors/{id}/runs', { path: { id }, query: { limit, sort: '-started_at' }, signal })
}

export function useRuns(id: string, limit = 5) {
  return useQuery({
    queryKey: ['health', 'runs', id, limit],
    queryFn: ({ signal }) => listRuns(id, limit, signal),
    refetchInterval: (q) => (q.state.data?.items.some((r) => r.status === 'running') ? runningPollMs : idlePollMs),
  })
}
