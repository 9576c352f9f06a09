import { useMutation, useQueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

import { refreshAfterControl, type RulesetTarget } from './rule-controls'

export type RulesetOverrideChange = components['schemas']['RulesetOverrideChange']

export function setRulesetOverride(target: RulesetTarget, body: RulesetOverrideChange) {
  return request('put', '/api/posture/{scope}/rulesets/{ruleset}/override', { path: target, body })
}

export function useSetRulesetOverride(target: RulesetTarget) {
  const qc = useQueryClient()
  return useMutation({ mutationFn: (body: RulesetOverrideChange) => setRulesetOverride(target, body), onSuccess: () => refreshAfterControl(qc) })
}
