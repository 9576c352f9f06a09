import { useMutation, useQueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type ConnectorCreate = components['schemas']['ConnectorCreate']

export function createConnector(body: ConnectorCreate) {
  return request('post', '/api/connectors', { body })
}

export function useCreateConnector() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: createConnector,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['connectors'] }),
  })
}
