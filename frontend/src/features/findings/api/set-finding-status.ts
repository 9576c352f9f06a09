import { useMutation, useQueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type FindingStatusChange = components['schemas']['FindingStatusChange']

export function setFindingStatus(id: number, body: FindingStatusChange) {
  return request('post', '/api/findings/{id}/status', { path: { id }, body })
}

export function useSetFindingStatus(id: number) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: FindingStatusChange) => setFindingStatus(id, body),
    onSuccess: (f) => {
      qc.setQueryData(['findings', 'detail', id], f)
      return qc.invalidateQueries({ queryKey: ['findings'] })
    },
  })
}
