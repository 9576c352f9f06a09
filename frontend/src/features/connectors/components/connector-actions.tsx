import { useState } from 'react'

import { useDeleteConnector } from '../api/delete-connector'
import { useSyncConnector } from '../api/sync-connector'

/** "Trigger sync" for the full and the discovery lanes. */
export function TriggerSync({ connectorId, discovery }: { connectorId: string; discovery: boolean }) {
  const sync = useSyncConnector(connectorId)
  return (
    <div className="actions">
      <button type="button" className="button" disabled={sync.isPending} onClick={() => sync.mutate('full')}>
        Trigger full sync
      </button>
      {discovery && (
        <button type="button" className="button" disabled={sync.isPending} onClick={() => sync.mutate('discovery')}>
          Trigger discovery sync
        </button>
      )}
      {sync.data && <span role="status" className="note note-good">Started {sync.data.lane} sync.</span>}
      {sync.error && <span role="alert" className="alert">{sync.error.message}</span>}
    </div>
  )
}

/** Delete, after the user confirms by typing nothing more than a second click. */
export function DeleteConnector({ connectorId, onDeleted }: { connectorId: string; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState(false)
  const del = useDeleteConnector()
  if (!confirming) {
    return (
      <button type="button" className="button danger" onClick={() => setConfirming(true)}>
        Delete connector
      </button>
    )
  }
  return (
    <div role="group" aria-label="Confirm delete" className="actions">
      <span>Delete {connectorId} and everything synced from it?</span>
      <button type="button" className="button danger" disabled={del.isPending}
        onClick={() => del.mutate(connectorId, { onSuccess: onDeleted })}>
        Yes, delete
      </button>
      <button type="button" className="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      {del.error && <span role="alert" className="alert">{del.error.message}</span>}
    </div>
  )
}
