import { useMutation, useQueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type ConnectorUpdate = components['schemas']['ConnectorUpdate']

export function updateConnector(id: string, body: ConnectorUpdate) {
  return request('patch', '/api/connectors/{id}', { path: { id }, body })
}

export function useUpdateConnector(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: ConnectorUpdate) => updateConnector(id, body),
    onSuccess: (c) => {
      qc.setQueryData(['connectors', 'one', id], c)
      return qc.invalidateQueries({ queryKey: ['connectors', 'list'] })
    },
  })
}
