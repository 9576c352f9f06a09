import { queryOptions, useQuery } from '@tanstack/react-query'

import { request } from '@/lib/api'

export function getConnector(id: string, signal?: AbortSignal) {
  return request('get', '/api/connectors/{id}', { path: { id }, signal })
}

export function connectorQueryOptions(id: string) {
  return queryOptions({ queryKey: ['connectors', 'one', id], queryFn: ({ signal }) => getConnector(id, signal) })
}

export function useConnector(id: string) {
  return useQuery(connectorQueryOptions(id))
}
