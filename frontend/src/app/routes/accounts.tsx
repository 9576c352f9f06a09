import { Link, getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Empty, QueryState } from '@/components/query-state'
import { SearchBox } from '@/components/search-box'
import { useAccounts, type AccountQuery } from '@/features/accounts/api/list-accounts'
import { useNeedsAnchor } from '@/features/accounts/api/list-needs-anchor'
import { AccountsTable } from '@/features/accounts/components/accounts-table'
import { useIsAdmin } from '@/features/session/api/get-me'
import { pageWindow, searchEnum, searchPage, searchString, sortValues } from '@/lib/search'

const sorts = sortValues(['external_id', 'display_name', 'email', 'last_login_at', 'first_seen_at'] as const)

export interface AccountsSearch {
  view?: 'needs-anchor' | undefined
  q?: string | undefined
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function accountsSearch(s: Record<string, unknown>): AccountsSearch {
  return {
    view: searchEnum(s['view'], ['needs-anchor'] as const),
    q: searchString(s['q']),
    sort: searchEnum(s['sort'], sorts),
    page: searchPage(s['page']),
  }
}

const routeApi = getRouteApi('/connectors/$id/accounts')
const limit = 50

export function AccountsPage() {
  const { id } = routeApi.useParams()
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const isAdmin = useIsAdmin()
  const needsAnchor = search.view === 'needs-anchor'
  const query: AccountQuery = { ...pageWindow(search.page, limit), sort: search.sort ?? 'display_name', ...(search.q ? { q: search.q } : {}) }
  const all = useAccounts(id, query, !needsAnchor)
  const unanchored = useNeedsAnchor(id, query, needsAnchor)
  const list = needsAnchor ? unanchored : all
  const set = (p: Partial<AccountsSearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })
  return (
    <>
      <h1>{needsAnchor ? 'Needs anchor' : 'Accounts'}: {id}</h1>
      <nav className="tabs" aria-label="Account views">
        {/* Each tab is active on its view whatever the search and sort (an empty search would match every URL). */}
        <Link to="/connectors/$id/accounts" params={{ id }} search={{ view: undefined }} activeOptions={{ includeSearch: true, explicitUndefined: true }}>
          All accounts
        </Link>
        <Link to="/connectors/$id/accounts" params={{ id }} search={{ view: 'needs-anchor' }} activeOptions={{ includeSearch: true }}>
          Needs anchor
        </Link>
      </nav>
      {needsAnchor && (
        <p className="muted">Live accounts that no identity from an authoritative source claims. Link each to its owner or unlink it.</p>
      )}
      <div className="filters">
        <SearchBox label="Search email, name, username or id" value={search.q} onChange={(q) => set({ q })} />
      </div>
      <QueryState what="accounts" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No accounts{needsAnchor ? ' need an anchor' : ''}.</Empty>
          ) : (
            <>
              <AccountsTable connectorId={id} accounts={p.items} sort={query.sort} canEdit={isAdmin} showAnchorReason={needsAnchor}
                onSortChange={(sort) => set({ sort: sort as AccountsSearch['sort'] })} />
              <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
            </>
          )
        }
      </QueryState>
    </>
  )
}
