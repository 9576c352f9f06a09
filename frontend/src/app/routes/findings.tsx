import { getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Field } from '@/components/field'
import { Empty, QueryState } from '@/components/query-state'
import { SearchBox } from '@/components/search-box'
import { severities, useFindings, type FindingQuery } from '@/features/findings/api/list-findings'
import { FindingsTable } from '@/features/findings/components/findings-table'
import { pageWindow, searchEnum, searchPage, searchString, sortValues } from '@/lib/search'

const sorts = sortValues(['severity', 'last_seen_at', 'first_seen_at', 'title'] as const)
const statuses = ['open', 'resolved', 'suppressed', 'accepted_risk'] as const
const kinds = ['posture', 'event', 'identity'] as const

export interface FindingsSearch {
  q?: string | undefined
  status?: (typeof statuses)[number] | undefined
  severity?: (typeof severities)[number] | undefined
  kind?: (typeof kinds)[number] | undefined
  rule?: string | undefined
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function findingsSearch(s: Record<string, unknown>): FindingsSearch {
  return {
    q: searchString(s['q']),
    status: searchEnum(s['status'], statuses),
    severity: searchEnum(s['severity'], severities),
    kind: searchEnum(s['kind'], kinds),
    rule: searchString(s['rule']),
    sort: searchEnum(s['sort'], sorts),
    page: searchPage(s['page']),
  }
}

const routeApi = getRouteApi('/findings')
const limit = 50

function Select<T extends string>({ label, value, options, onChange }: { label: string; value: T | undefined; options: readonly T[]; onChange: (v: T | undefined) => void }) {
  return (
    <Field label={label}>
      {(a) => (
        <select {...a} value={value ?? ''} onChange={(e) => onChange(searchEnum(e.target.value, options))}>
          <option value="">Any</option>
          {options.map((o) => <option key={o} value={o}>{o.replace('_', ' ')}</option>)}
        </select>
      )}
    </Field>
  )
}

export function FindingsPage() {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const query: FindingQuery = {
    ...pageWindow(search.page, limit),
    sort: search.sort ?? '-severity',
    ...(search.q ? { q: search.q } : {}),
    ...(search.status ? { status: search.status } : {}),
    ...(search.severity ? { severity: search.severity } : {}),
    ...(search.kind ? { kind: search.kind } : {}),
    ...(search.rule ? { rule: search.rule } : {}),
  }
  const list = useFindings(query)
  const set = (p: Partial<FindingsSearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })
  return (
    <>
      <h1>Findings</h1>
      <div className="filters" role="search" aria-label="Filter findings">
        <SearchBox label="Search title" value={search.q} onChange={(q) => set({ q })} />
        <Select label="Status" value={search.status} options={statuses} onChange={(status) => set({ status })} />
        <Select label="Severity" value={search.severity} options={severities} onChange={(severity) => set({ severity })} />
        <Select label="Kind" value={search.kind} options={kinds} onChange={(kind) => set({ kind })} />
        <SearchBox label="Rule" value={search.rule} onChange={(rule) => set({ rule })} />
      </div>
      <QueryState what="findings" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No findings match.</Empty>
          ) : (
            <>
              <FindingsTable findings={p.items} sort={query.sort} onSortChange={(sort) => set({ sort: sort as FindingsSearch['sort'] })} />
              <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
            </>
          )
        }
      </QueryState>
    </>
  )
}
