import { queryOptions, useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type Kind = components['schemas']['Kind']

export async function listKinds(signal?: AbortSignal): Promise<Kind[]> {
  return (await request('get', '/api/kinds', { signal })) ?? []
}

export function kindsQueryOptions() {
  return queryOptions({ queryKey: ['kinds'], queryFn: ({ signal }) => listKinds(signal), staleTime: Infinity })
}

export function useKinds() {
  return useQuery(kindsQueryOptions())
}
