import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

import { refreshAfterControl, type RuleTarget } from './rule-controls'

export function removeRuleOverride(target: RuleTarget) {
  return request('delete', '/api/posture/{scope}/rulesets/{ruleset}/rules/{rule}/override', { path: target })
}

export function useRemoveRuleOverride(target: RuleTarget) {
  const qc = useQueryClient()
  return useMutation({ mutationFn: () => removeRuleOverride(target), onSuccess: () => refreshAfterControl(qc) })
}
