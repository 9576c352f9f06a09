import { useQuery } from '@tanstack/react-query'

import { request } from '@/lib/api'

export function listDeadDeliveries(offset: number, limit: number, signal?: AbortSignal) {
  return request('get', '/api/inbox/dead', { query: { limit, offset }, signal })
}

export function useDeadDeliveries(offset: number, limit = 20) {
  return useQuery({
    queryKey: ['health', 'dead', offset, limit],
    queryFn: ({ signal }) => listDeadDeliveries(offset, limit, signal),
  })
}
