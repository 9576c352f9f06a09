import { getRouteApi } from '@tanstack/react-router'

import { Pager } from '@/components/data-table'
import { Empty, QueryState } from '@/components/query-state'
import { useEvents, type EventQuery } from '@/features/events/api/list-events'
import { EventFilters, type EventFilterValues } from '@/features/events/components/event-filters'
import { EventsTable } from '@/features/events/components/events-table'
import { pageWindow, searchEnum, searchPage, searchString, sortValues } from '@/lib/search'

const sorts = sortValues(['occurred_at', 'type'] as const)
const filterKeys = ['connector', 'type', 'actor', 'target', 'outcome', 'since', 'until'] as const

export interface EventsSearch extends EventFilterValues {
  sort?: (typeof sorts)[number] | undefined
  page?: number | undefined
}

export function eventsSearch(s: Record<string, unknown>): EventsSearch {
  const out: EventsSearch = { sort: searchEnum(s['sort'], sorts), page: searchPage(s['page']) }
  for (const k of filterKeys) out[k] = searchString(s[k])
  return out
}

const routeApi = getRouteApi('/events')
const limit = 50

export function EventsPage() {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const query: EventQuery = { ...pageWindow(search.page, limit), sort: search.sort ?? '-occurred_at' }
  for (const k of filterKeys) {
    const v = search[k]
    if (v) query[k] = v
  }
  const list = useEvents(query)
  const set = (p: Partial<EventsSearch>) => void navigate({ search: (s) => ({ ...s, page: undefined, ...p }) })
  return (
    <>
      <h1>Events</h1>
      <EventFilters value={search} onChange={set} />
      <QueryState what="events" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No events match.</Empty>
          ) : (
            <>
              <EventsTable events={p.items} sort={query.sort} onSortChange={(sort) => set({ sort: sort as EventsSearch['sort'] })} />
              <Pager total={p.total} limit={p.limit} offset={p.offset} onPage={(page) => set({ page })} />
            </>
          )
        }
      </QueryState>
    </>
  )
}
