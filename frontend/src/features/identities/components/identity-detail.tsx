import { Link } from '@tanstack/react-router'

import { DataTable } from '@/components/data-table'
import { Panel } from '@/components/panel'
import { StatusBadge } from '@/components/status-badge'
import { formatAgo, formatDateTime } from '@/lib/format'

import type { IdentityDetail, LinkedAccount } from '../api/get-identity'
import { IdentityFlags } from './identity-flags'

type Grant = LinkedAccount['grants'][number]
type Event = IdentityDetail['events'][number]
type Finding = IdentityDetail['findings'][number]

/** Who an identity is, and its access in every source: accounts, groups, grants; its events and findings. */
export function IdentityDetailView({ identity }: { identity: IdentityDetail }) {
  return (
    <>
      <h1>{identity.display_name || identity.primary_email}</h1>
      <dl className="facts">
        <dt>Email</dt>
        <dd>{identity.primary_email || '—'}</dd>
        <dt>Kind</dt>
        <dd>{identity.kind}</dd>
        <dt>Status</dt>
        <dd>{identity.status}</dd>
        <dt>Flags</dt>
        <dd><IdentityFlags identity={identity} /></dd>
        <dt>Last seen</dt>
        <dd>{formatAgo(identity.last_seen_at)}</dd>
      </dl>
      <h2>Accounts ({identity.linked_accounts.length})</h2>
      {identity.linked_accounts.length === 0 && <p className="muted">No linked accounts.</p>}
      {identity.linked_accounts.map((a) => (
        <AccountAccess key={a.id} account={a} />
      ))}
      <Panel title="Recent events">
        {identity.events.length === 0 ? (
          <p className="muted">No events.</p>
        ) : (
          <DataTable<Event>
            caption="Recent events"
            rows={identity.events}
            rowKey={(e) => e.id}
            columns={[
              { key: 'at', header: 'When', cell: (e) => formatDateTime(e.occurred_at) },
              { key: 'type', header: 'Type', cell: (e) => e.type },
              { key: 'actor', header: 'Actor', cell: (e) => e.actor_display ?? e.actor_external_id ?? '—' },
              { key: 'outcome', header: 'Outcome', cell: (e) => e.outcome ?? '—' },
              { key: 'c', header: 'Source', cell: (e) => e.connector_id },
            ]}
          />
        )}
      </Panel>
      <Panel title="Findings">
        {identity.findings.length === 0 ? (
          <p className="muted">No findings.</p>
        ) : (
          <DataTable<Finding>
            caption="Findings"
            rows={identity.findings}
            rowKey={(f) => f.id}
            columns={[
              { key: 'sev', header: 'Severity', cell: (f) => f.severity },
              { key: 'title', header: 'Title', cell: (f) => <Link to="/findings/$id" params={{ id: String(f.id) }}>{f.title}</Link> },
              { key: 'status', header: 'Status', cell: (f) => f.status },
              { key: 'seen', header: 'Last seen', cell: (f) => formatAgo(f.last_seen_at) },
            ]}
          />
        )}
      </Panel>
    </>
  )
}

function AccountAccess({ account: a }: { account: LinkedAccount }) {
  return (
    <Panel title={`${a.connector_name} (${a.connector_kind}): ${a.username || a.email || a.external_id}`}>
      <p className="flags">
        <StatusBadge tone={a.active ? 'good' : 'neutral'}>{a.status}</StatusBadge>
        {a.is_admin && <StatusBadge tone="bad">admin</StatusBadge>}
        {a.expired && <StatusBadge tone="neutral">expired</StatusBadge>}
        {a.mfa_enrolled === false && <StatusBadge tone="bad">no MFA</StatusBadge>}
        <span className="muted">
          linked {a.link_reason.replace('_', ' ')}
          {a.linked_by ? ` by ${a.linked_by}` : ''}; last login {formatAgo(a.last_login_at)}
        </span>{' '}
        <Link to="/connectors/$id/accounts" params={{ id: a.connector_id }} search={{ q: a.external_id }}>
          Show in accounts
        </Link>
      </p>
      <h3>Groups ({a.groups.length})</h3>
      {a.groups.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="chips">
          {a.groups.map((g) => (
            <li key={g.external_id}>
              {g.name}
              {g.via_group ? <span className="muted"> via {g.via_group}</span> : null}
            </li>
          ))}
        </ul>
      )}
      <h3>Grants ({a.grants.length})</h3>
      {a.grants.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <DataTable<Grant>
          caption={`Grants of ${a.external_id}`}
          rows={a.grants}
          rowKey={(g) => `${g.resource_external_id}/${g.permission}/${g.principal_external_id}`}
          columns={[
            { key: 'res', header: 'Resource', cell: (g) => g.resource_name },
            { key: 'kind', header: 'Kind', cell: (g) => g.resource_kind },
            { key: 'perm', header: 'Permission', cell: (g) => g.permission },
            { key: 'via', header: 'How', cell: (g) => (g.via === 'direct' ? 'direct' : `${g.via}${g.principal_name ? `: ${g.principal_name}` : ''}`) },
          ]}
        />
      )}
    </Panel>
  )
}
