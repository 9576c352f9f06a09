import type { QueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'

export type RuleAttestation = components['schemas']['RuleAttestation']
export type RuleOverride = components['schemas']['RuleOverride']
export type RuleParameters = components['schemas']['RuleParameters']
export type RuleParamSchema = components['schemas']['RuleParamSchema']

/** A ruleset in a scope: "global" or a connector id. */
export interface RulesetTarget {
  scope: string
  ruleset: string
}

/** A rule of a ruleset in a scope. */
export interface RuleTarget extends RulesetTarget {
  rule: string
}

/** After a control changed, the posture and the findings it opens or resolves are stale. */
export function refreshAfterControl(qc: QueryClient) {
  return Promise.all([qc.invalidateQueries({ queryKey: ['posture'] }), qc.invalidateQueries({ queryKey: ['findings'] })])
}
