import { keepPreviousData, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { request } from '@/lib/api'

export type AuditEntry = components['schemas']['AuditEntry']
export type AuditQuery = NonNullable<operations['listAudit']['parameters']['query']>

export function useAudit(query: AuditQuery) {
  return useQuery({
    queryKey: ['audit', query],
    queryFn: ({ signal }) => request('get', '/api/audit', { query, signal }),
    placeholderData: keepPreviousData,
  })
}
