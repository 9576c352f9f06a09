import { StatusBadge, type Tone } from '@/components/status-badge'
import { formatDateTime, formatDuration } from '@/lib/format'

import type { Run } from '../api/get-system-health'

const tones: Record<Run['status'], Tone> = { running: 'neutral', succeeded: 'good', failed: 'bad', canceled: 'neutral' }

export function RunStatus({ status }: { status: Run['status'] | string | undefined }) {
  if (!status) return <span className="muted">never run</span>
  return <StatusBadge tone={tones[status as Run['status']] ?? 'neutral'}>{status}</StatusBadge>
}

/** A running run's live progress: the stage it is in, and the pages and rows read so far. */
export function RunProgressBar({ run }: { run: Run }) {
  const p = run.progress
  const stage = p.stage ?? run.stage ?? 'starting'
  const done = run.stages_done.length
  return (
    <div className="run-progress">
      <progress aria-label={`${run.connector_id} ${run.lane} sync progress`} />
      <span>
        {stage}: {p.rows} rows, {p.pages} pages{done ? `; ${done} stage${done === 1 ? '' : 's'} done` : ''} —{' '}
        {formatDuration(run.duration_ms)}
        {run.resume_at
          ? ` — paused for the provider's rate limit until ${formatDateTime(run.resume_at)}`
          : p.message
            ? ` — ${p.message}`
            : ''}
      </span>
    </div>
  )
}

export function Counts({ counts }: { counts: Record<string, number> }) {
  const entries = Object.entries(counts)
  if (!entries.length) return <span className="muted">—</span>
  return (
    <span className="counts">
      {entries.map(([k, v]) => (
        <span key={k}>
          {k} {v}
        </span>
      ))}
    </span>
  )
}

/** A run's error in full, as the lane recorded it. */
export function RunError({ run }: { run: Run }) {
  if (!run.error_text) return null
  return (
    <div className="run-error">
      <strong>
        {run.error_kind ? `${run.error_kind} ` : ''}error in run {run.id}:
      </strong>
      <pre>{run.error_text}</pre>
    </div>
  )
}
