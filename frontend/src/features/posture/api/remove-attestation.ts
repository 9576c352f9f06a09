import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

import { refreshAfterControl, type RuleTarget } from './rule-controls'

export function removeAttestation(target: RuleTarget) {
  return request('delete', '/api/posture/{scope}/rulesets/{ruleset}/rules/{rule}/attestation', { path: target })
}

export function useRemoveAttestation(target: RuleTarget) {
  const qc = useQueryClient()
  return useMutation({ mutationFn: () => removeAttestation(target), onSuccess: () => refreshAfterControl(qc) })
}
