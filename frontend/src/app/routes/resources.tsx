import { getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Field } from '@/components/field'
import { Empty, QueryState } from '@/components/query-state'
import { SearchBox } from '@/components/search-box'
import { useConnectors } from '@/features/connectors/api/list-connectors'
import { useResources, type ResourceQuery } from '@/features/resources/api/resources'
import { ResourcesTable } from '@/features/resources/components/resources-table'
import { pageWindow, searchEnum, searchPage, searchString, sortValues } from '@/lib/search'

const sorts = sortValues(['name', 'kind', 'connector_id', 'first_seen_at'] as const)
export const resourceKinds = ['app', 'repository', 'org', 'aws_account', 'permission_set'] as const

export interface ResourcesSearch {
  q?: string | undefined
  kind?: string | undefined
  connector?: string | undefined
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function resourcesSearch(s: Record<string, unknown>): ResourcesSearch {
  return {
    q: searchString(s['q']),
    kind: searchString(s['kind']),
    connector: searchString(s['connector']),
    sort: searchEnum(s['sort'], sorts),
    page: searchPage(s['page']),
  }
}

const routeApi = getRouteApi('/resources')
const limit = 50

export function ResourcesPage() {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const query: ResourceQuery = {
    ...pageWindow(search.page, limit),
    sort: search.sort ?? 'name',
    ...(search.q ? { q: search.q } : {}),
    ...(search.kind ? { kind: search.kind } : {}),
    ...(search.connector ? { connector: search.connector } : {}),
  }
  const list = useResources(query)
  const connectors = useConnectors({ limit: 200, offset: 0, sort: 'name' })
  const set = (p: Partial<ResourcesSearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })
  return (
    <>
      <h1>Resources</h1>
      <div className="filters" role="search" aria-label="Filter resources">
        <SearchBox label="Search name" value={search.q} onChange={(q) => set({ q })} />
        <Field label="Kind">
          {(a) => (
            <select {...a} value={search.kind ?? ''} onChange={(e) => set({ kind: e.target.value || undefined })}>
              <option value="">Any</option>
              {resourceKinds.map((k) => <option key={k} value={k}>{k.replace('_', ' ')}</option>)}
              {search.kind && !(resourceKinds as readonly string[]).includes(search.kind) && <option value={search.kind}>{search.kind}</option>}
            </select>
          )}
        </Field>
        <Field label="Source">
          {(a) => (
            <select {...a} value={search.connector ?? ''} onChange={(e) => set({ connector: e.target.value || undefined })}>
              <option value="">Any</option>
              {(connectors.data?.items ?? []).map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          )}
        </Field>
      </div>
      <QueryState what="resources" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No resources match.</Empty>
          ) : (
            <>
              <ResourcesTable resources={p.items} sort={query.sort} onSortChange={(sort) => set({ sort: sort as ResourcesSearch['sort'] })} />
              <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
            </>
          )
        }
      </QueryState>
    </>
  )
}
