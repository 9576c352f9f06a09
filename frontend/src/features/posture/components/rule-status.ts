import type { Tone } from '@/components/status-badge'
import type { Severity } from '@/features/findings/api/list-findings'

import type { RuleResult } from '../api/get-posture'

export const severityRank: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 }

export const asSeverity = (s: string): Severity => (s in severityRank ? (s as Severity) : 'info')

export function statusTone(s: RuleResult['status']): Tone {
  return s === 'pass' ? 'good' : s === 'fail' || s === 'error' ? 'bad' : 'neutral'
}
