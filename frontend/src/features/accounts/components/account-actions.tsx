import { useState, type FormEvent } from 'react'

import { useClearAccountLink } from '../api/clear-account-link'
import { useLinkAccount } from '../api/link-account'
import type { Account } from '../api/list-accounts'
import { useUnlinkAccount } from '../api/unlink-account'

/** Link an account to an identity by id, unlink it for good, or forget a manual decision. */
export function AccountActions({ connectorId, account }: { connectorId: string; account: Account }) {
  const [identityId, setIdentityId] = useState('')
  const link = useLinkAccount(connectorId)
  const unlink = useUnlinkAccount(connectorId)
  const clear = useClearAccountLink(connectorId)
  const error = link.error ?? unlink.error ?? clear.error
  const who = account.username || account.email || account.external_id
  const submit = (e: FormEvent) => {
    e.preventDefault()
    link.mutate({ externalId: account.external_id, identityId: Number(identityId) }, { onSuccess: () => setIdentityId('') })
  }
  return (
    <div className="row-actions">
      <form onSubmit={submit} className="inline-form">
        <label className="visually-hidden" htmlFor={`link-${account.id}`}>Identity ID to link {who} to</label>
        <input id={`link-${account.id}`} type="number" min={1} required placeholder="Identity ID" value={identityId}
          onChange={(e) => setIdentityId(e.target.value)} />
        <button type="submit" className="button small" disabled={link.isPending}>
          Link <span className="visually-hidden">{who}</span>
        </button>
      </form>
      {(account.identity_id !== undefined || account.link_reason !== 'manual') && (
        <button type="button" className="button small" disabled={unlink.isPending} onClick={() => unlink.mutate(account.external_id)}>
          Unlink <span className="visually-hidden">{who}</span>
        </button>
      )}
      {account.link_reason === 'manual' && (
        <button type="button" className="button small" disabled={clear.isPending} onClick={() => clear.mutate(account.external_id)}>
          Clear decision <span className="visually-hidden">for {who}</span>
        </button>
      )}
      {error && <span role="alert" className="alert">{error.message}</span>}
    </div>
  )
}
