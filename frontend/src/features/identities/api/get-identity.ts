import { queryOptions, useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type IdentityDetail = components['schemas']['IdentityDetail']
export type LinkedAccount = components['schemas']['LinkedAccount']

export function getIdentity(id: number, signal?: AbortSignal) {
  return request('get', '/api/identities/{id}', { path: { id }, signal })
}

export function identityQueryOptions(id: number) {
  return queryOptions({ queryKey: ['identities', 'one', id], queryFn: ({ signal }) => getIdentity(id, signal) })
}

export function useIdentity(id: number) {
  return useQuery(identityQueryOptions(id))
}
