import { useMutation, useQueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

import { refreshAfterControl, type RuleTarget } from './rule-controls'

export type RuleOverrideChange = components['schemas']['RuleOverrideChange']

export function setRuleOverride(target: RuleTarget, body: RuleOverrideChange) {
  return request('put', '/api/posture/{scope}/rulesets/{ruleset}/rules/{rule}/override', { path: target, body })
}

export function useSetRuleOverride(target: RuleTarget) {
  const qc = useQueryClient()
  return useMutation({ mutationFn: (body: RuleOverrideChange) => setRuleOverride(target, body), onSuccess: () => refreshAfterControl(qc) })
}
