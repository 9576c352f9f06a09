import { StatusBadge } from '@/components/status-badge'

import type { Severity } from '../api/list-findings'

export function SeverityBadge({ severity }: { severity: Severity }) {
  const tone = severity === 'critical' || severity === 'high' ? 'bad' : severity === 'info' ? 'neutral' : 'neutral'
  return <StatusBadge tone={tone}>{severity}</StatusBadge>
}
