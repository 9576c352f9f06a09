import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { request } from '@/lib/api'

export type Identity = components['schemas']['Identity']
export type IdentityQuery = NonNullable<operations['listIdentities']['parameters']['query']>

export function listIdentities(query: IdentityQuery, signal?: AbortSignal) {
  return request('get', '/api/identities', { query, signal })
}

export function identitiesQueryOptions(query: IdentityQuery) {
  return queryOptions({
    queryKey: ['identities', 'list', query],
    queryFn: ({ signal }) => listIdentities(query, signal),
    placeholderData: keepPreviousData,
  })
}

export function useIdentities(query: IdentityQuery) {
  return useQuery(identitiesQueryOptions(query))
}
