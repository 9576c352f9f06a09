import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

export function deleteConnector(id: string) {
  return request('delete', '/api/connectors/{id}', { path: { id } })
}

export function useDeleteConnector() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: deleteConnector,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['connectors'] }),
  })
}
