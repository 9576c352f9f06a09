import { Link, getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Field } from '@/components/field'
import { Panel } from '@/components/panel'
import { Empty, QueryState } from '@/components/query-state'
import { SearchBox } from '@/components/search-box'
import { AccessTimeline } from '@/features/history/components/access-timeline'
import { useResource, useResourceAccess, type AccessQuery, type Resource } from '@/features/resources/api/resources'
import { AccessTable } from '@/features/resources/components/access-table'
import { formatDateTime } from '@/lib/format'
import { pageWindow, searchEnum, searchPage, searchString, sortValues } from '@/lib/search'

const sorts = sortValues(['principal_name', 'permission', 'via'] as const)
const vias = ['direct', 'effective', 'group', 'team', 'org_base'] as const

export interface ResourceDetailSearch {
  q?: string | undefined
  via?: (typeof vias)[number] | undefined
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function resourceDetailSearch(s: Record<string, unknown>): ResourceDetailSearch {
  return {
    q: searchString(s['q']),
    via: searchEnum(s['via'], vias),
    sort: searchEnum(s['sort'], sorts),
    page: searchPage(s['page']),
  }
}

const routeApi = getRouteApi('/resources/$id')
const limit = 50

export function ResourceDetailPage() {
  const { id } = routeApi.useParams()
  const resource = useResource(Number(id))
  return (
    <QueryState what="the resource" query={resource}>
      {(r) => <ResourceDetail resource={r} />}
    </QueryState>
  )
}

function ResourceDetail({ resource: r }: { resource: Resource }) {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const query: AccessQuery = {
    ...pageWindow(search.page, limit),
    sort: search.sort ?? 'principal_name',
    ...(search.q ? { q: search.q } : {}),
    ...(search.via ? { via: search.via } : {}),
  }
  const access = useResourceAccess(r.id, query)
  const set = (p: Partial<ResourceDetailSearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })
  return (
    <>
      <p><Link to="/resources">← Resources</Link></p>
      <h1>{r.name || r.external_id}</h1>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{r.kind.replace('_', ' ')}</dd>
        <dt>Source</dt>
        <dd>{r.connector_id}</dd>
        <dt>External ID</dt>
        <dd><code>{r.external_id}</code></dd>
        {r.url && (
          <>
            <dt>URL</dt>
            <dd><a href={r.url} target="_blank" rel="noreferrer">{r.url}</a></dd>
          </>
        )}
        <dt>First seen</dt>
        <dd>{formatDateTime(r.first_seen_at)}</dd>
        <dt>State</dt>
        <dd>{r.expired ? `gone since ${formatDateTime(r.expired_at)}` : `live, last seen ${formatDateTime(r.seen_at)}`}</dd>
      </dl>
      <Panel title="Who has access">
        <div className="filters" role="search" aria-label="Filter access">
          <SearchBox label="Search principal" value={search.q} onChange={(q) => set({ q })} />
          <Field label="How">
            {(a) => (
              <select {...a} value={search.via ?? ''} onChange={(e) => set({ via: searchEnum(e.target.value, vias) })}>
                <option value="">Any</option>
                {vias.map((v) => <option key={v} value={v}>{v.replace('_', ' ')}</option>)}
              </select>
            )}
          </Field>
        </div>
        <QueryState what="access" query={access}>
          {(p) =>
            p.items.length === 0 ? (
              <Empty>Nobody holds access that matches.</Empty>
            ) : (
              <>
                <AccessTable access={p.items} sort={query.sort} onSortChange={(sort) => set({ sort: sort as ResourceDetailSearch['sort'] })} />
                <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
              </>
            )
          }
        </QueryState>
      </Panel>
      <AccessTimeline title="Access timeline" filter={{ connector: r.connector_id, resource: r.external_id }} />
      {r.raw !== undefined && r.raw !== null && (
        <details>
          <summary>As the source returned it</summary>
          <pre className="raw">{JSON.stringify(r.raw, null, 2)}</pre>
        </details>
      )}
    </>
  )
}
