import { Link } from '@tanstack/react-router'

import { DataTable, type Column } from '@/components/data-table'
import { StatusBadge } from '@/components/status-badge'
import { formatAgo } from '@/lib/format'

import type { Account } from '../api/list-accounts'
import { AccountActions } from './account-actions'

/** Why an account needs an anchor, for a person (see the API's anchor_reason). */
export const anchorReasons: Record<string, string> = {
  unlinked_by_hand: 'unlinked by hand',
  service_account: 'not a person (service account or bot)',
  identity_not_anchored: 'linked by hand to an identity no authoritative source has',
  guest: "a guest of the tenant (someone else's person): link it by hand",
  no_email: 'no email',
  email_matches_no_identity: 'its email matches no anchored identity',
  several_candidates: 'several identities have its email',
  awaiting_linking: 'an identity has its email: the next linking run links it',
}

export function AccountsTable({
  connectorId,
  accounts,
  sort,
  onSortChange,
  canEdit,
  showAnchorReason = false,
}: {
  connectorId: string
  accounts: Account[]
  sort: string | undefined
  onSortChange: (s: string) => void
  canEdit: boolean
  showAnchorReason?: boolean
}) {
  const columns: Column<Account>[] = [
    { key: 'id', header: 'External ID', sort: 'external_id', cell: (a) => <code>{a.external_id}</code> },
    {
      key: 'name', header: 'Name', sort: 'display_name',
      cell: (a) => (
        <>
          {a.display_name || a.username}
          {showAnchorReason && a.anchor_reason && (
            <span className="muted small cell-note">needs an anchor: {anchorReasons[a.anchor_reason] ?? a.anchor_reason}</span>
          )}
        </>
      ),
    },
    { key: 'email', header: 'Email', sort: 'email', cell: (a) => a.email || '—' },
    { key: 'kind', header: 'Kind', cell: (a) => a.kind },
    {
      key: 'status', header: 'Status',
      cell: (a) => (
        <span className="flags">
          <StatusBadge tone={a.active ? 'good' : 'neutral'}>{a.status}</StatusBadge>
          {a.is_admin && <StatusBadge tone="bad">admin</StatusBadge>}
          {a.expired && <StatusBadge tone="neutral">expired</StatusBadge>}
        </span>
      ),
    },
    {
      key: 'identity', header: 'Identity',
      cell: (a) =>
        a.identity_id !== undefined ? (
          <Link to="/identities/$id" params={{ id: String(a.identity_id) }}>
            #{a.identity_id}
          </Link>
        ) : a.link_reason === 'manual' ? (
          'unlinked by hand'
        ) : (
          '—'
        ),
    },
    // The needs-anchor view says why instead of how the account is linked (rows stay narrow enough for their actions).
    ...(showAnchorReason ? [] : [{ key: 'reason', header: 'Linked', cell: (a: Account) => (a.link_reason ? a.link_reason.replace('_', ' ') : '—') }]),
    { key: 'login', header: 'Last login', sort: 'last_login_at', cell: (a) => formatAgo(a.last_login_at) },
  ]
  if (canEdit) columns.push({ key: 'actions', header: 'Actions', cell: (a) => <AccountActions connectorId={connectorId} account={a} /> })
  return <DataTable caption={`Accounts of ${connectorId}`} columns={columns} rows={accounts} rowKey={(a) => a.id} sort={sort} onSortChange={onSortChange} />
}
