import { useState } from 'react'

import { useClearAccountLink } from '../api/clear-account-link'
import { useLinkAccount } from '../api/link-account'
import type { Account } from '../api/list-accounts'
import { useUnlinkAccount } from '../api/unlink-account'
import { IdentityPicker } from './identity-picker'

/** Link an account to an identity picked from suggestions or a search, unlink it for good, or forget a manual decision. */
export function AccountActions({ connectorId, account }: { connectorId: string; account: Account }) {
  const [picking, setPicking] = useState(false)
  const link = useLinkAccount(connectorId)
  const unlink = useUnlinkAccount(connectorId)
  const clear = useClearAccountLink(connectorId)
  const error = link.error ?? unlink.error ?? clear.error
  const who = account.username || account.email || account.external_id
  return (
    <div className="row-actions">
      <span className="row-buttons">
        <button type="button" className="button small" aria-expanded={picking} onClick={() => setPicking(!picking)}>
          Link <span className="visually-hidden">{who}</span>
        </button>
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
      </span>
      {picking && (
        <IdentityPicker connectorId={connectorId} externalId={account.external_id} who={who} pending={link.isPending}
          onPick={(identityId) => link.mutate({ externalId: account.external_id, identityId }, { onSuccess: () => setPicking(false) })} />
      )}
      {error && <span role="alert" className="alert">{error.message}</span>}
    </div>
  )
}
