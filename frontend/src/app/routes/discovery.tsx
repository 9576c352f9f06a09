import { getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Field } from '@/components/field'
import { Empty, QueryState } from '@/components/query-state'
import { SearchBox } from '@/components/search-box'
import { useApps, type AppQuery } from '@/features/discovery/api/list-apps'
import { AppsTable } from '@/features/discovery/components/apps-table'
import { pageWindow, searchEnum, searchPage, searchString, sortValues } from '@/lib/search'

const sorts = sortValues(['risk_score', 'display_name', 'last_seen_at', 'first_seen_at', 'actors_30d'] as const)
const states = ['sanctioned', 'unsanctioned', 'under_review', 'ignored'] as const
const risks = ['low', 'medium', 'high', 'critical'] as const

export interface DiscoverySearch {
  q?: string | undefined
  state?: (typeof states)[number] | undefined
  risk?: (typeof risks)[number] | undefined
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function discoverySearch(s: Record<string, unknown>): DiscoverySearch {
  return {
    q: searchString(s['q']),
    state: searchEnum(s['state'], states),
    risk: searchEnum(s['risk'], risks),
    sort: searchEnum(s['sort'], sorts),
    page: searchPage(s['page']),
  }
}

const routeApi = getRouteApi('/discovery')
const limit = 50

export function DiscoveryPage() {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const query: AppQuery = {
    ...pageWindow(search.page, limit),
    sort: search.sort ?? '-risk_score',
    ...(search.q ? { q: search.q } : {}),
    ...(search.state ? { state: search.state } : {}),
    ...(search.risk ? { risk_level: search.risk } : {}),
  }
  const list = useApps(query)
  const set = (p: Partial<DiscoverySearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })
  return (
    <>
      <h1>Discovered apps</h1>
      <div className="filters" role="search" aria-label="Filter apps">
        <SearchBox label="Search name, domain or key" value={search.q} onChange={(q) => set({ q })} />
        <Field label="State">
          {(a) => (
            <select {...a} value={search.state ?? ''} onChange={(e) => set({ state: searchEnum(e.target.value, states) })}>
              <option value="">Any</option>
              {states.map((s) => <option key={s} value={s}>{s.replace('_', ' ')}</option>)}
            </select>
          )}
        </Field>
        <Field label="Risk">
          {(a) => (
            <select {...a} value={search.risk ?? ''} onChange={(e) => set({ risk: searchEnum(e.target.value, risks) })}>
              <option value="">Any</option>
              {risks.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          )}
        </Field>
      </div>
      <QueryState what="apps" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No apps match.</Empty>
          ) : (
            <>
              <AppsTable apps={p.items} sort={query.sort} onSortChange={(sort) => set({ sort: sort as DiscoverySearch['sort'] })} />
              <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
            </>
          )
        }
      </QueryState>
    </>
  )
}
