import { keepPreviousData, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { request } from '@/lib/api'

export type Account = components['schemas']['Account']
export type AccountQuery = NonNullable<operations['listAccounts']['parameters']['query']>

export function listAccounts(id: string, query: AccountQuery, signal?: AbortSignal) {
  return request('get', '/api/connectors/{id}/accounts', { path: { id }, query, signal })
}

export function useAccounts(id: string, query: AccountQuery, enabled = true) {
  return useQuery({
    queryKey: ['accounts', id, 'all', query],
    queryFn: ({ signal }) => listAccounts(id, query, signal),
    placeholderData: keepPreviousData,
    enabled,
  })
}
