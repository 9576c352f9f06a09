import { Panel } from '@/components/panel'
import { StatusBadge } from '@/components/status-badge'

import { useHealth, type Health } from '../api/get-healthz'

/** Shows the server's health check, repeated every 15 s. */
export function HealthPanel() {
  const { data, error, isPending, isFetching, dataUpdatedAt, refetch } = useHealth()

  const refresh = (
    <button type="button" className="button" onClick={() => void refetch()} disabled={isFetching}>
      {isFetching ? 'Checking…' : 'Check now'}
    </button>
  )

  if (isPending) {
    return (
      <Panel title="System health">
        <p role="status" className="muted">
          Checking system health…
        </p>
      </Panel>
    )
  }

  if (error && !data) {
    return (
      <Panel title="System health" actions={refresh}>
        <div role="alert" className="alert">
          <strong>Could not check system health.</strong> {error.message}
        </div>
      </Panel>
    )
  }

  return (
    <Panel title="System health" actions={refresh}>
      {error && (
        <div role="alert" className="alert">
          <strong>The last check failed.</strong> {error.message}. Showing the result from{' '}
          {formatTime(dataUpdatedAt)}.
        </div>
      )}
      <HealthFacts health={data} />
      <p className="muted small">Checked at {formatTime(dataUpdatedAt)}; checks again every 15 seconds.</p>
    </Panel>
  )
}

function HealthFacts({ health }: { health: Health }) {
  return (
    <dl className="facts">
      <dt>Status</dt>
      <dd>
        <StatusBadge tone={health.status === 'ok' ? 'good' : 'bad'}>{health.status}</StatusBadge>
      </dd>
      <dt>Database</dt>
      <dd>
        <StatusBadge tone={health.database === 'ok' ? 'good' : 'bad'}>{health.database}</StatusBadge>
      </dd>
      <dt>Schema version</dt>
      <dd>{schemaText(health)}</dd>
    </dl>
  )
}

/** The server reports 0 for both versions when it could not read them. */
function schemaText({ schemaVersion, schemaLatest }: Health): string {
  if (schemaLatest === 0) return 'unknown'
  if (schemaVersion === schemaLatest) return `${schemaVersion} (latest)`
  return `${schemaVersion} of ${schemaLatest}`
}

function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString()
}
