import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

/** clearAccountLink forgets a manual link or unlink; the next linking run links by email again. */
export function clearAccountLink(id: string, externalId: string) {
  return request('delete', '/api/connectors/{id}/accounts/{external_id}/link', { path: { id, external_id: externalId } })
}

export function useClearAccountLink(connectorId: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (externalId: string) => clearAccountLink(connectorId, externalId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['accounts', connectorId] }),
  })
}
