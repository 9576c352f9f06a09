import { queryOptions, useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type Me = components['schemas']['Me']

export function getMe(signal?: AbortSignal): Promise<Me> {
  return request('get', '/api/me', { signal })
}

export function meQueryOptions() {
  return queryOptions({ queryKey: ['me'], queryFn: ({ signal }) => getMe(signal), staleTime: Infinity })
}

export function useMe() {
  return useQuery(meQueryOptions())
}

/** Whether the caller may change things. False until /api/me answers, so viewers never see mutation controls. */
export function useIsAdmin(): boolean {
  return useMe().data?.role === 'admin'
}
