import { StatusBadge } from '@/components/status-badge'

import type { Connector } from '../api/list-connectors'

/** Whether a secret is set and how old it is; never the secret itself, which the API does not return. */
export function SecretStatus({ connector }: { connector: Connector }) {
  if (!connector.has_secret) return <StatusBadge tone="bad">not set</StatusBadge>
  const age = connector.secret_age_days
  return (
    <span className="secret-status">
      <StatusBadge tone={connector.secret_stale ? 'bad' : 'good'}>set</StatusBadge>{' '}
      {age !== undefined && <span>last changed {age === 0 ? 'today' : `${age} day${age === 1 ? '' : 's'} ago`}</span>}
      {connector.secret_stale && <strong className="warn"> — stale, rotate it</strong>}
    </span>
  )
}
