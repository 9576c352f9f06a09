import { Link, getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Empty, QueryState } from '@/components/query-state'
import { SearchBox } from '@/components/search-box'
import { useConnectors, type ConnectorQuery } from '@/features/connectors/api/list-connectors'
import { ConnectorsTable } from '@/features/connectors/components/connectors-table'
import { useIsAdmin } from '@/features/session/api/get-me'
import { pageWindow, searchEnum, searchPage, searchString, sortValues } from '@/lib/search'

const sorts = sortValues(['id', 'name', 'kind', 'created_at', 'updated_at', 'secret_updated_at'] as const)

export interface ConnectorsSearch {
  q?: string | undefined
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function connectorsSearch(s: Record<string, unknown>): ConnectorsSearch {
  return { q: searchString(s['q']), sort: searchEnum(s['sort'], sorts), page: searchPage(s['page']) }
}

const routeApi = getRouteApi('/settings/connectors')
const limit = 50

export function ConnectorsPage() {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const isAdmin = useIsAdmin()
  const query: ConnectorQuery = { ...pageWindow(search.page, limit), ...(search.q ? { q: search.q } : {}), sort: search.sort ?? 'id' }
  const list = useConnectors(query)
  const set = (p: Partial<ConnectorsSearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })

  return (
    <>
      <div className="page-header">
        <h1>Connectors</h1>
        {isAdmin && <Link to="/settings/connectors/new" className="button primary">Add connector</Link>}
      </div>
      <div className="filters">
        <SearchBox label="Search id or name" value={search.q} onChange={(q) => set({ q })} />
      </div>
      <QueryState what="connectors" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No connectors{search.q ? ' match' : ' yet'}.</Empty>
          ) : (
            <>
              <ConnectorsTable connectors={p.items} sort={query.sort} canEdit={isAdmin}
                onSortChange={(sort) => set({ sort: sort as ConnectorsSearch['sort'] })} />
              <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
            </>
          )
        }
      </QueryState>
    </>
  )
}
