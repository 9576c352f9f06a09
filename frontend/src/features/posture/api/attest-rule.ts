import { useMutation, useQueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

import { refreshAfterControl, type RuleTarget } from './rule-controls'

export type AttestationChange = components['schemas']['AttestationChange']

export function attestRule(target: RuleTarget, body: AttestationChange) {
  return request('put', '/api/posture/{scope}/rulesets/{ruleset}/rules/{rule}/attestation', { path: target, body })
}

export function useAttestRule(target: RuleTarget) {
  const qc = useQueryClient()
  return useMutation({ mutationFn: (body: AttestationChange) => attestRule(target, body), onSuccess: () => refreshAfterControl(qc) })
}
