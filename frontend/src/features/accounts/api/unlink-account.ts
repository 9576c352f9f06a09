import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

/** unlinkAccount unlinks an account for good: syncs do not link it again. */
export function unlinkAccount(id: string, externalId: string) {
  return request('post', '/api/connectors/{id}/accounts/{external_id}/unlink', { path: { id, external_id: externalId } })
}

export function useUnlinkAccount(connectorId: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (externalId: string) => unlinkAccount(connectorId, externalId),
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: ['accounts', connectorId] }), qc.invalidateQueries({ queryKey: ['identities'] })]),
  })
}
