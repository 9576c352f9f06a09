import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

export function replayDeadDelivery(id: number) {
  return request('post', '/api/inbox/dead/{id}/replay', { path: { id } })
}

export function useReplayDeadDelivery() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: replayDeadDelivery,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['health'] }),
  })
}
