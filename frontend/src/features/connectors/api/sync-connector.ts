import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

export type SyncLane = 'full' | 'discovery'

export function syncConnector(id: string, lane: SyncLane) {
  return request('post', '/api/connectors/{id}/sync', { path: { id }, body: { lane } })
}

export function useSyncConnector(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (lane: SyncLane) => syncConnector(id, lane),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['health'] }),
  })
}
