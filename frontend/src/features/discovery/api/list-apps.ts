import { keepPreviousData, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { request } from '@/lib/api'

export type App = components['schemas']['App']
export type AppQuery = NonNullable<operations['listApps']['parameters']['query']>

export function listApps(query: AppQuery, signal?: AbortSignal) {
  return request('get', '/api/discovery/apps', { query, signal })
}

export function useApps(query: AppQuery) {
  return useQuery({
    queryKey: ['discovery', 'apps', query],
    queryFn: ({ signal }) => listApps(query, signal),
    placeholderData: keepPreviousData,
  })
}
