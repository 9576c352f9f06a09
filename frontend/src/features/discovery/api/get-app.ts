import { useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type AppDetail = components['schemas']['AppDetail']

export function getApp(key: string, signal?: AbortSignal) {
  return request('get', '/api/discovery/apps/{key}', { path: { key }, query: { limit: 50 }, signal })
}

export function useApp(key: string) {
  return useQuery({ queryKey: ['discovery', 'app', key], queryFn: ({ signal }) => getApp(key, signal) })
}
