import { keepPreviousData, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { request } from '@/lib/api'

export type EventSummary = components['schemas']['EventSummary']
export type EventQuery = NonNullable<operations['listEvents']['parameters']['query']>

export function listEvents(query: EventQuery, signal?: AbortSignal) {
  return request('get', '/api/events', { query, signal })
}

export function useEvents(query: EventQuery) {
  return useQuery({
    queryKey: ['events', 'list', query],
    queryFn: ({ signal }) => listEvents(query, signal),
    placeholderData: keepPreviousData,
  })
}
