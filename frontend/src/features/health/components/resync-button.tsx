import { useResyncAll } from '../api/resync-all'

/** "Resync now": every lane of every enabled connector. */
export function ResyncButton() {
  const resync = useResyncAll()
  return (
    <span className="actions">
      <button type="button" className="button primary" disabled={resync.isPending} onClick={() => resync.mutate()}>
        {resync.isPending ? 'Starting…' : 'Resync now'}
      </button>
      {resync.data && (
        <span role="status" className="note note-good">
          Started {resync.data.started.length} sync{resync.data.started.length === 1 ? '' : 's'}
          {resync.data.skipped.length ? `; skipped ${resync.data.skipped.length}` : ''}.
        </span>
      )}
      {resync.error && <span role="alert" className="alert">{resync.error.message}</span>}
    </span>
  )
}
