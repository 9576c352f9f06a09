import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { request } from '@/lib/api'

export type Connector = components['schemas']['Connector']
export type ConnectorQuery = NonNullable<operations['listConnectors']['parameters']['query']>

export function listConnectors(query: ConnectorQuery, signal?: AbortSignal) {
  return request('get', '/api/connectors', { query, signal })
}

export function connectorsQueryOptions(query: ConnectorQuery) {
  return queryOptions({
    queryKey: ['connectors', 'list', query],
    queryFn: ({ signal }) => listConnectors(query, signal),
    placeholderData: keepPreviousData,
  })
}

export function useConnectors(query: ConnectorQuery) {
  return useQuery(connectorsQueryOptions(query))
}
