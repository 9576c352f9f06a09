import { Link } from '@tanstack/react-router'

import { DataTable } from '@/components/data-table'

import type { Access } from '../api/resources'

/** Who holds access to a resource and how: directly, through a group or a team, or the org's base permission. */
export function AccessTable({ access, sort, onSortChange }: { access: Access[]; sort?: string | undefined; onSortChange?: (s: string) => void }) {
  return (
    <DataTable<Access>
      caption="Who has access"
      rows={access}
      rowKey={(a) => a.grant_id}
      sort={sort}
      {...(onSortChange ? { onSortChange } : {})}
      columns={[
        {
          key: 'who', header: 'Principal', sort: 'principal_name', cell: (a) => {
            const name = a.principal_name || a.principal_email || a.principal_external_id
            return a.identity_id ? <Link to="/identities/$id" params={{ id: String(a.identity_id) }}>{name}</Link> : name
          },
        },
        { key: 'kind', header: 'Kind', cell: (a) => (a.principal_kind === 'group' ? `group (${a.members} members)` : 'account') },
        { key: 'email', header: 'Email', cell: (a) => a.principal_email || '—' },
        { key: 'perm', header: 'Permission', sort: 'permission', cell: (a) => a.permission || '—' },
        { key: 'via', header: 'How', sort: 'via', cell: (a) => (a.via === 'direct' ? 'direct' : `${a.via.replace('_', ' ')}${a.via_name || a.via_external_id ? `: ${a.via_name || a.via_external_id}` : ''}`) },
      ]}
    />
  )
}
