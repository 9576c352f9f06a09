import { getRouteApi, useNavigate } from '@tanstack/react-router'

import { Panel } from '@/components/panel'
import { QueryState } from '@/components/query-state'
import { useConnector } from '@/features/connectors/api/get-connector'
import { useKinds } from '@/features/connectors/api/list-kinds'
import { DeleteConnector, TriggerSync } from '@/features/connectors/components/connector-actions'
import { ConnectorForm } from '@/features/connectors/components/connector-form'
import { PushHookPanel } from '@/features/connectors/components/push-hook-panel'
import { WebhookPanel } from '@/features/connectors/components/webhook-panel'
import { useIsAdmin } from '@/features/session/api/get-me'

const routeApi = getRouteApi('/settings/connectors/$id')

export function ConnectorEditPage() {
  const { id } = routeApi.useParams()
  const navigate = useNavigate()
  const isAdmin = useIsAdmin()
  const connector = useConnector(id)
  const kinds = useKinds()
  return (
    <>
      <h1>Connector {id}</h1>
      <QueryState what="the connector" query={connector}>
        {(c) => (
          <QueryState what="connector kinds" query={kinds}>
            {(ks) => {
              const kind = ks.find((k) => k.kind === c.kind)
              if (!kind) return <p className="alert" role="alert">This server does not know the kind {c.kind}.</p>
              return (
                <>
                  {isAdmin && (
                    <Panel title="Sync">
                      <TriggerSync connectorId={c.id} discovery={c.discovery_enabled} />
                    </Panel>
                  )}
                  <ConnectorForm key={c.id} kind={kind} connector={c} readOnly={!isAdmin} />
                  {kind.push_registration && <PushHookPanel connectorId={c.id} canRegister={isAdmin} />}
                  {isAdmin && c.push && <WebhookPanel connectorId={c.id} pushRegistration={kind.push_registration} />}
                  {isAdmin && (
                    <Panel title="Danger zone">
                      <DeleteConnector connectorId={c.id} onDeleted={() => void navigate({ to: '/settings/connectors' })} />
                    </Panel>
                  )}
                </>
              )
            }}
          </QueryState>
        )}
      </QueryState>
    </>
  )
}
