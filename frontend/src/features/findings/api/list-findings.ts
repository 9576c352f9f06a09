import { keepPreviousData, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { request } from '@/lib/api'

export type Finding = components['schemas']['Finding']
export type FindingQuery = NonNullable<operations['listFindings']['parameters']['query']>
export type Severity = Finding['severity']

export const severities: Severity[] = ['critical', 'high', 'medium', 'low', 'info']

export function listFindings(query: FindingQuery, signal?: AbortSignal) {
  return request('get', '/api/findings', { query, signal })
}

export function useFindings(query: FindingQuery) {
  return useQuery({
    queryKey: ['findings', 'list', query],
    queryFn: ({ signal }) => listFindings(query, signal),
    placeholderData: keepPreviousData,
  })
}
