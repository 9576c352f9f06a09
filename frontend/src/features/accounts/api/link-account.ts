import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

export function linkAccount(id: string, externalId: string, identityId: number) {
  return request('put', '/api/connectors/{id}/accounts/{external_id}/link', {
    path: { id, external_id: externalId },
    body: { identity_id: identityId },
  })
}

export function useLinkAccount(connectorId: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (v: { externalId: string; identityId: number }) => linkAccount(connectorId, v.externalId, v.identityId),
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: ['accounts', connectorId] }), qc.invalidateQueries({ queryKey: ['identities'] })]),
  })
}
