import { Link } from '@tanstack/react-router'

import { DataTable, type Column } from '@/components/data-table'
import { StatusBadge } from '@/components/status-badge'

import type { Connector } from '../api/list-connectors'
import { useUpdateConnector } from '../api/update-connector'
import { SecretStatus } from './secret-status'

/** Enable or disable a connector in place. */
function ToggleEnabled({ connector }: { connector: Connector }) {
  const update = useUpdateConnector(connector.id)
  return (
    <button type="button" className="button small" disabled={update.isPending}
      onClick={() => update.mutate({ enabled: !connector.enabled })}>
      {connector.enabled ? 'Disable' : 'Enable'} <span className="visually-hidden">{connector.id}</span>
    </button>
  )
}

export function ConnectorsTable({
  connectors,
  sort,
  onSortChange,
  canEdit,
}: {
  connectors: Connector[]
  sort: string | undefined
  onSortChange: (s: string) => void
  canEdit: boolean
}) {
  const columns: Column<Connector>[] = [
    {
      key: 'id', header: 'ID', sort: 'id',
      cell: (c) => <Link to="/settings/connectors/$id" params={{ id: c.id }}>{c.id}</Link>,
    },
    { key: 'name', header: 'Name', sort: 'name', cell: (c) => c.name },
    { key: 'kind', header: 'Kind', sort: 'kind', cell: (c) => c.kind },
    {
      key: 'enabled', header: 'State',
      cell: (c) => <StatusBadge tone={c.enabled ? 'good' : 'neutral'}>{c.enabled ? 'enabled' : 'disabled'}</StatusBadge>,
    },
    { key: 'discovery', header: 'Discovery', cell: (c) => (c.discovery_enabled ? 'on' : 'off') },
    { key: 'secret', header: 'Secret', sort: 'secret_updated_at', cell: (c) => <SecretStatus connector={c} /> },
    {
      key: 'links', header: 'Accounts',
      cell: (c) => (
        <span className="link-list">
          <Link to="/connectors/$id/accounts" params={{ id: c.id }}>Accounts</Link>
          <Link to="/connectors/$id/accounts" params={{ id: c.id }} search={{ view: 'needs-anchor' }}>Needs anchor</Link>
        </span>
      ),
    },
  ]
  if (canEdit) columns.push({ key: 'toggle', header: 'Actions', cell: (c) => <ToggleEnabled connector={c} /> })
  return <DataTable caption="Connectors" columns={columns} rows={connectors} rowKey={(c) => c.id} sort={sort} onSortChange={onSortChange} />
}
