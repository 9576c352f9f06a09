import { queryOptions, useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type SystemHealth = components['schemas']['SystemHealth']
export type LaneStatus = components['schemas']['LaneStatus']
export type Run = components['schemas']['Run']

/** While a run is going the page polls quickly, so its progress bar moves. */
export const runningPollMs = 2_000
export const idlePollMs = 15_000

export function getSystemHealth(signal?: AbortSignal) {
  return request('get', '/api/health', { signal })
}

export function isRunning(h: SystemHealth | undefined): boolean {
  return !!h?.connectors.some((l) => l.last_run?.status === 'running')
}

export function systemHealthQueryOptions() {
  return queryOptions({
    queryKey: ['health', 'system'],
    queryFn: ({ signal }) => getSystemHealth(signal),
    refetchInterval: (q) => (isRunning(q.state.data) ? runningPollMs : idlePollMs),
  })
}

export function useSystemHealth() {
  return useQuery(systemHealthQueryOptions())
}
