import { useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type Posture = components['schemas']['Posture']
export type PostureScope = components['schemas']['PostureScope']
export type RulesetPosture = components['schemas']['RulesetPosture']
export type RuleResult = components['schemas']['RuleResult']
export type RuleEvaluation = components['schemas']['RuleEvaluation']

export function getPosture(connector: string | undefined, signal?: AbortSignal) {
  return request('get', '/api/posture', { query: connector ? { connector } : {}, signal })
}

export function usePosture(connector?: string) {
  return useQuery({ queryKey: ['posture', connector ?? ''], queryFn: ({ signal }) => getPosture(connector, signal) })
}

export function getRuleHistory(q: { ruleset: string; rule: string; connector?: string | undefined }, signal?: AbortSignal) {
  const query = { ruleset: q.ruleset, rule: q.rule, limit: 30, ...(q.connector ? { connector: q.connector } : {}) }
  return request('get', '/api/rule-history', { query, signal })
}

export function useRuleHistory(q: { ruleset: string; rule: string; connector?: string | undefined }) {
  return useQuery({ queryKey: ['posture', 'history', q], queryFn: ({ signal }) => getRuleHistory(q, signal) })
}

/** A ruleset's score as a whole percentage of the rules evaluated, or undefined when none was. */
export function score(r: { passed: number; evaluated: number }): number | undefined {
  return r.evaluated > 0 ? Math.round((100 * r.passed) / r.evaluated) : undefined
}
