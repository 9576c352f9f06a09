import { useQuery } from '@tanstack/react-query'

import { request } from '@/lib/api'

import type { App } from './list-apps'

export async function listHotspots(limit: number, signal?: AbortSignal): Promise<App[]> {
  return (await request('get', '/api/discovery/hotspots', { query: { limit }, signal })) ?? []
}

export function useHotspots(limit = 5) {
  return useQuery({ queryKey: ['discovery', 'hotspots', limit], queryFn: ({ signal }) => listHotspots(limit, signal) })
}
