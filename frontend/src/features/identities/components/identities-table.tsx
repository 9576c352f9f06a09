import { Link } from '@tanstack/react-router'

import { DataTable } from '@/components/data-table'
import { formatAgo } from '@/lib/format'

import type { Identity } from '../api/list-identities'
import { IdentityFlags } from './identity-flags'

export function IdentitiesTable({
  identities,
  sort,
  onSortChange,
}: {
  identities: Identity[]
  sort: string | undefined
  onSortChange: (s: string) => void
}) {
  return (
    <DataTable<Identity>
      caption="Identities"
      rows={identities}
      rowKey={(i) => i.id}
      sort={sort}
      onSortChange={onSortChange}
      columns={[
        {
          key: 'name', header: 'Name', sort: 'display_name',
          cell: (i) => <Link to="/identities/$id" params={{ id: String(i.id) }}>{i.display_name || i.primary_email || `#${i.id}`}</Link>,
        },
        { key: 'email', header: 'Email', sort: 'primary_email', cell: (i) => i.primary_email },
        { key: 'kind', header: 'Kind', cell: (i) => i.kind },
        { key: 'status', header: 'Status', cell: (i) => i.status },
        { key: 'accounts', header: 'Accounts', sort: 'accounts', cell: (i) => i.accounts },
        { key: 'flags', header: 'Flags', cell: (i) => <IdentityFlags identity={i} /> },
        { key: 'seen', header: 'Last seen', sort: 'last_seen_at', cell: (i) => formatAgo(i.last_seen_at) },
      ]}
    />
  )
}
