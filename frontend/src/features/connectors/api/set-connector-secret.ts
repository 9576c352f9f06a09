import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

export function setConnectorSecret(id: string, secret: string) {
  return request('put', '/api/connectors/{id}/secret', { path: { id }, body: { secret } })
}

export function useSetConnectorSecret(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (secret: string) => setConnectorSecret(id, secret),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['connectors'] }),
  })
}
