import { getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Empty, QueryState } from '@/components/query-state'
import { useConnectors } from '@/features/connectors/api/list-connectors'
import { useIdentities, type IdentityQuery } from '@/features/identities/api/list-identities'
import { IdentitiesTable } from '@/features/identities/components/identities-table'
import { IdentityFilters, type IdentityFilterValues } from '@/features/identities/components/identity-filters'
import { pageWindow, searchBool, searchEnum, searchPage, searchString, sortValues } from '@/lib/search'

const sorts = sortValues(['display_name', 'primary_email', 'last_seen_at', 'accounts', 'created_at', 'id'] as const)

export interface IdentitiesSearch extends IdentityFilterValues {
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function identitiesSearch(s: Record<string, unknown>): IdentitiesSearch {
  return {
    q: searchString(s['q']),
    kind: searchEnum(s['kind'], ['person', 'service', 'bot'] as const),
    source: searchString(s['source']),
    managed: searchBool(s['managed']),
    privileged: searchBool(s['privileged']),
    stale: searchBool(s['stale']),
    leaver: searchBool(s['leaver']),
    sort: searchEnum(s['sort'], sorts),
    page: searchPage(s['page']),
  }
}

/** The API query for the URL's search: undefined filters are left out. */
export function identityQuery(s: IdentitiesSearch, limit: number): IdentityQuery {
  const q: IdentityQuery = { ...pageWindow(s.page, limit), sort: s.sort ?? 'display_name' }
  if (s.q) q.q = s.q
  if (s.kind) q.kind = s.kind
  if (s.source) q.connector = s.source
  if (s.managed !== undefined) q.anchored = s.managed
  if (s.privileged !== undefined) q.privileged = s.privileged
  if (s.stale !== undefined) q.stale = s.stale
  if (s.leaver !== undefined) q.leaver = s.leaver
  return q
}

const routeApi = getRouteApi('/identities')
const limit = 50

export function IdentitiesPage() {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const query = identityQuery(search, limit)
  const list = useIdentities(query)
  const connectors = useConnectors({ limit: 200, offset: 0, sort: 'name' })
  const set = (p: Partial<IdentitiesSearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })
  return (
    <>
      <h1>Identities</h1>
      <IdentityFilters value={search} onChange={set}
        sources={(connectors.data?.items ?? []).map((c) => ({ id: c.id, name: c.name }))} />
      <QueryState what="identities" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No identities match.</Empty>
          ) : (
            <>
              <IdentitiesTable identities={p.items} sort={query.sort}
                onSortChange={(sort) => set({ sort: sort as IdentitiesSearch['sort'] })} />
              <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
            </>
          )
        }
      </QueryState>
    </>
  )
}
