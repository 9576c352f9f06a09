import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

/** resyncAll starts every lane of every enabled connector. */
export function resyncAll() {
  return request('post', '/api/sync', {})
}

export function useResyncAll() {
  const qc = useQueryClient()
  return useMutation({ mutationFn: resyncAll, onSuccess: () => qc.invalidateQueries({ queryKey: ['health'] }) })
}
