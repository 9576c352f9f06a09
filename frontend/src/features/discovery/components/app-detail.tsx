import { DataTable } from '@/components/data-table'
import { Panel } from '@/components/panel'
import { formatDateTime } from '@/lib/format'

import type { AppDetail } from '../api/get-app'
import { GovernanceForm } from './governance-form'
import { RiskBadge } from './risk-badge'

type Evidence = AppDetail['evidence']['items'][number]

export function AppDetailView({ app, readOnly }: { app: AppDetail; readOnly: boolean }) {
  return (
    <>
      <h1>{app.display_name}</h1>
      <dl className="facts">
        <dt>Risk</dt>
        <dd><RiskBadge level={app.risk_level} score={app.risk_score} /></dd>
        <dt>Domain</dt>
        <dd>{app.domain ?? '—'}</dd>
        <dt>Managed</dt>
        <dd>{app.managed_state}{app.managed_connector_id ? ` by ${app.managed_connector_id}` : ''}</dd>
        <dt>Actors (30 days)</dt>
        <dd>{app.actors_30d}</dd>
        <dt>Privileged scopes</dt>
        <dd>{app.privileged_scopes.join(', ') || '—'}</dd>
        <dt>Sources</dt>
        <dd>{app.sources.join(', ') || '—'}</dd>
      </dl>
      <GovernanceForm app={app} readOnly={readOnly} />
      <Panel title={`Evidence (${app.evidence.total})`}>
        <DataTable<Evidence>
          caption="Evidence"
          rows={app.evidence.items}
          rowKey={(e) => `${e.connector_id}/${e.kind}/${e.actor_id ?? ''}/${e.app_id ?? ''}/${e.first_seen_at}`}
          columns={[
            { key: 'kind', header: 'Kind', cell: (e) => e.kind },
            { key: 'actor', header: 'Actor', cell: (e) => e.actor_email ?? e.actor_id ?? '—' },
            { key: 'scopes', header: 'Scopes', cell: (e) => e.scopes.join(', ') || '—' },
            { key: 'n', header: 'Seen', cell: (e) => `${e.occurrences}×` },
            { key: 'last', header: 'Last seen', cell: (e) => formatDateTime(e.last_seen_at) },
          ]}
        />
      </Panel>
    </>
  )
}
