import { keepPreviousData, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { request } from '@/lib/api'

export type Resource = components['schemas']['Resource']
export type Access = components['schemas']['Access']
export type ResourceQuery = NonNullable<operations['listResources']['parameters']['query']>
export type AccessQuery = NonNullable<operations['listResourceAccess']['parameters']['query']>

export function listResources(query: ResourceQuery, signal?: AbortSignal) {
  return request('get', '/api/resources', { query, signal })
}

export function useResources(query: ResourceQuery) {
  return useQuery({
    queryKey: ['resources', 'list', query],
    queryFn: ({ signal }) => listResources(query, signal),
    placeholderData: keepPreviousData,
  })
}

export function useResource(id: number) {
  return useQuery({
    queryKey: ['resources', 'detail', id],
    queryFn: ({ signal }) => request('get', '/api/resources/{id}', { path: { id }, signal }),
  })
}

export function useResourceAccess(id: number, query: AccessQuery) {
  return useQuery({
    queryKey: ['resources', 'access', id, query],
    queryFn: ({ signal }) => request('get', '/api/resources/{id}/access', { path: { id }, query, signal }),
    placeholderData: keepPreviousData,
  })
}
