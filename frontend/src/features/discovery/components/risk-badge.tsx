import { StatusBadge } from '@/components/status-badge'

export function RiskBadge({ level, score }: { level: string; score?: number }) {
  const tone = level === 'high' || level === 'critical' ? 'bad' : level === 'low' ? 'good' : 'neutral'
  return <StatusBadge tone={tone}>{level}{score !== undefined ? ` ${score}` : ''}</StatusBadge>
}
