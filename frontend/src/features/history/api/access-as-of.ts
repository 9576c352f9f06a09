import { useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type AccessAsOf = components['schemas']['AccessAsOf']

/** An identity's access at a time, reconstructed by the server from the inventory and the recorded changes. */
export function useAccessAsOf(id: number, at: string | undefined) {
  return useQuery({
    queryKey: ['access-changes', 'as-of', id, at],
    queryFn: ({ signal }) => request('get', '/api/identities/{id}/access-as-of', { path: { id }, query: { at: at! }, signal }),
    enabled: at !== undefined,
  })
}
