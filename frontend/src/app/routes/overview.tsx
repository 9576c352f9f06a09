import { Link } from '@tanstack/react-router'

import { Panel } from '@/components/panel'
import { QueryState } from '@/components/query-state'
import { useConnectors } from '@/features/connectors/api/list-connectors'
import { useApps } from '@/features/discovery/api/list-apps'
import { useHotspots } from '@/features/discovery/api/list-hotspots'
import { AppsTable } from '@/features/discovery/components/apps-table'
import { useEvents } from '@/features/events/api/list-events'
import { EventsTable } from '@/features/events/components/events-table'
import { useOpenFindingCounts } from '@/features/findings/api/count-open-findings'
import { FindingsTrend } from '@/features/findings/components/findings-trend'
import { SeverityBadge } from '@/features/findings/components/severity-badge'
import { ConnectorGlance } from '@/features/health/components/connector-glance'
import { HealthPanel } from '@/features/health/components/health-panel'
import { SyncDurations } from '@/features/health/components/sync-durations'
import { useChangeSummary } from '@/features/history/api/access-changes'
import { useIdentities } from '@/features/identities/api/list-identities'
import { PostureSummary } from '@/features/posture/components/posture-summary'

function Count({ label, value, to }: { label: string; value: number | undefined; to: string }) {
  return (
    <Link to={to} className="count-card">
      <span className="count">{value ?? '…'}</span>
      <span>{label}</span>
    </Link>
  )
}

function Counts() {
  const identities = useIdentities({ limit: 1, offset: 0 })
  const privileged = useIdentities({ limit: 1, offset: 0, privileged: true })
  const connectors = useConnectors({ limit: 1, offset: 0 })
  const apps = useApps({ limit: 1, offset: 0 })
  const changes = useChangeSummary()
  return (
    <Panel title="Inventory">
      <div className="counts-row">
        <Count label="Identities" value={identities.data?.total} to="/identities" />
        <Count label="Privileged" value={privileged.data?.total} to="/identities?privileged=true" />
        <Count label="Connectors" value={connectors.data?.total} to="/settings/connectors" />
        <Count label="Discovered apps" value={apps.data?.total} to="/discovery" />
        <Count label="Privileged changes this week" value={changes.data?.privileged_changes} to="/access-changes?privileged=true" />
      </div>
    </Panel>
  )
}

function OpenFindings() {
  const counts = useOpenFindingCounts()
  return (
    <Panel title="Open findings by severity" actions={<Link to="/findings" search={{ status: 'open' }}>All findings</Link>}>
      <ul className="severity-list">
        {counts.map(({ severity, count }) => (
          <li key={severity}>
            <Link to="/findings" search={{ status: 'open', severity }}>
              <SeverityBadge severity={severity} /> <span className="count">{count ?? '…'}</span>
            </Link>
          </li>
        ))}
      </ul>
    </Panel>
  )
}

function NewestEvents() {
  const events = useEvents({ limit: 8, offset: 0, sort: '-occurred_at' })
  return (
    <Panel title="Newest events" actions={<Link to="/events">All events</Link>}>
      <QueryState what="events" query={events}>
        {(p) => (p.items.length ? <EventsTable events={p.items} /> : <p className="muted">No events yet.</p>)}
      </QueryState>
    </Panel>
  )
}

function Hotspots() {
  const hotspots = useHotspots(5)
  return (
    <Panel title="Discovered-app hotspots" actions={<Link to="/discovery">All apps</Link>}>
      <QueryState what="hotspots" query={hotspots}>
        {(apps) => (apps.length ? <AppsTable apps={apps} /> : <p className="muted">No risky apps seen recently.</p>)}
      </QueryState>
    </Panel>
  )
}

export function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      <div className="grid">
        <ConnectorGlance />
        <OpenFindings />
      </div>
      <Counts />
      <div className="grid">
        <PostureSummary />
        <FindingsTrend />
      </div>
      <Hotspots />
      <NewestEvents />
      <SyncDurations />
      <HealthPanel />
    </>
  )
}
