import { StatusBadge } from '@/components/status-badge'

import type { Identity } from '../api/list-identities'

/** The flags that make an identity worth a look. */
export function IdentityFlags({ identity }: { identity: Identity }) {
  return (
    <span className="flags">
      {identity.anchored ? <StatusBadge tone="good">managed</StatusBadge> : <StatusBadge tone="neutral">unmanaged</StatusBadge>}
      {identity.privileged && <StatusBadge tone="bad">privileged</StatusBadge>}
      {identity.stale && <StatusBadge tone="neutral">stale</StatusBadge>}
      {identity.leaver && <StatusBadge tone="bad">leaver</StatusBadge>}
      {identity.mfa === false && <StatusBadge tone="bad">no MFA</StatusBadge>}
    </span>
  )
}
