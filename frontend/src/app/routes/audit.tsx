import { getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Empty, QueryState } from '@/components/query-state'
import { SearchBox } from '@/components/search-box'
import { useAudit, type AuditQuery } from '@/features/audit/api/list-audit'
import { AuditTable } from '@/features/audit/components/audit-table'
import { pageWindow, searchEnum, searchPage, searchString } from '@/lib/search'

const sorts = ['at', '-at'] as const

export interface AuditSearch {
  actor?: string | undefined
  action?: string | undefined
  target_type?: string | undefined
  target_id?: string | undefined
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function auditSearch(s: Record<string, unknown>): AuditSearch {
  return {
    actor: searchString(s['actor']),
    action: searchString(s['action']),
    target_type: searchString(s['target_type']),
    target_id: searchString(s['target_id']),
    sort: searchEnum(s['sort'], sorts),
    page: searchPage(s['page']),
  }
}

const routeApi = getRouteApi('/audit')
const limit = 50

export function AuditPage() {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const query: AuditQuery = {
    ...pageWindow(search.page, limit),
    sort: search.sort ?? '-at',
    ...(search.actor ? { actor: search.actor } : {}),
    ...(search.action ? { action: search.action } : {}),
    ...(search.target_type ? { target_type: search.target_type } : {}),
    ...(search.target_id ? { target_id: search.target_id } : {}),
  }
  const list = useAudit(query)
  const set = (p: Partial<AuditSearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })
  return (
    <>
      <h1>Audit log</h1>
      <div className="filters" role="search" aria-label="Filter the audit log">
        <SearchBox label="Who" value={search.actor} onChange={(actor) => set({ actor })} />
        <SearchBox label="Action (or prefix)" value={search.action} onChange={(action) => set({ action })} />
        <SearchBox label="Target type" value={search.target_type} onChange={(target_type) => set({ target_type })} />
        <SearchBox label="Target ID" value={search.target_id} onChange={(target_id) => set({ target_id })} />
      </div>
      <QueryState what="the audit log" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No changes match.</Empty>
          ) : (
            <>
              <AuditTable entries={p.items} sort={query.sort} onSortChange={(sort) => set({ sort: sort as AuditSearch['sort'] })} />
              <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
            </>
          )
        }
      </QueryState>
    </>
  )
}
