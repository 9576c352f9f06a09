import { useMutation, useQueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type GovernanceUpdate = components['schemas']['GovernanceUpdate']

export function updateGovernance(key: string, body: GovernanceUpdate) {
  return request('patch', '/api/discovery/apps/{key}/governance', { path: { key }, body })
}

export function useUpdateGovernance(key: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: GovernanceUpdate) => updateGovernance(key, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['discovery'] }),
  })
}
