import { useMutation, useQueryClient } from '@tanstack/react-query'

import { request } from '@/lib/api'

import { refreshAfterControl, type RulesetTarget } from './rule-controls'

export function removeRulesetOverride(target: RulesetTarget) {
  return request('delete', '/api/posture/{scope}/rulesets/{ruleset}/override', { path: target })
}

export function useRemoveRulesetOverride(target: RulesetTarget) {
  const qc = useQueryClient()
  return useMutation({ mutationFn: () => removeRulesetOverride(target), onSuccess: () => refreshAfterControl(qc) })
}
