import { QueryState } from '@/components/query-state'
import { useConnectors } from '@/features/connectors/api/list-connectors'
import { TriggerSync } from '@/features/connectors/components/connector-actions'
import { SecretStatus } from '@/features/connectors/components/secret-status'
import { useSystemHealth, type LaneStatus } from '@/features/health/api/get-system-health'
import { ConnectorLanes } from '@/features/health/components/connector-lanes'
import { DeadDeliveries } from '@/features/health/components/dead-deliveries'
import { LaneHealth } from '@/features/health/components/lane-health'
import { ResyncButton } from '@/features/health/components/resync-button'
import { useIsAdmin } from '@/features/session/api/get-me'

function byConnector(lanes: LaneStatus[]): Map<string, LaneStatus[]> {
  const m = new Map<string, LaneStatus[]>()
  for (const l of lanes) m.set(l.connector_id, [...(m.get(l.connector_id) ?? []), l])
  return m
}

export function HealthPage() {
  const isAdmin = useIsAdmin()
  const health = useSystemHealth()
  const connectors = useConnectors({ limit: 200, offset: 0, sort: 'id' })
  const byId = new Map((connectors.data?.items ?? []).map((c) => [c.id, c]))
  return (
    <>
      <div className="page-header">
        <h1>Connector health</h1>
        {isAdmin && <ResyncButton />}
      </div>
      <QueryState what="health" query={health}>
        {(h) => (
          <>
            {[...byConnector(h.connectors)].map(([id, lanes]) => {
              const c = byId.get(id)
              return (
                <ConnectorLanes key={id} connectorId={id} lanes={lanes}
                  actions={isAdmin ? <TriggerSync connectorId={id} discovery={c?.discovery_enabled ?? false} /> : undefined}>
                  {c && (
                    <p>
                      Credential: <SecretStatus connector={c} />
                    </p>
                  )}
                </ConnectorLanes>
              )
            })}
            <LaneHealth health={h} />
          </>
        )}
      </QueryState>
      <DeadDeliveries canReplay={isAdmin} />
    </>
  )
}
