import { Link, getRouteApi } from '@tanstack/react-router'
import { useState } from 'react'

import { Field } from '@/components/field'
import { Empty, QueryState } from '@/components/query-state'
import { SearchBox } from '@/components/search-box'
import { downloadChanges, useAccessChanges, type ChangeQuery } from '@/features/history/api/access-changes'
import { changeLabels } from '@/features/history/components/change-label'
import { ChangesTable } from '@/features/history/components/changes-table'
import { searchBool, searchString } from '@/lib/search'

export interface AccessChangesSearch {
  connector?: string | undefined
  change?: string | undefined
  resource?: string | undefined
  since?: string | undefined
  until?: string | undefined
  privileged?: boolean | undefined
  /** Change ids (access_change:<id> or <id>), comma-separated: the changes a finding names. */
  id?: string | undefined
  cursor?: string | undefined
}

const day = /^\d{4}-\d{2}-\d{2}$/
const ids = /^(access_change:)?\d+(,(access_change:)?\d+)*$/

export function accessChangesSearch(s: Record<string, unknown>): AccessChangesSearch {
  const change = searchString(s['change'])
  const since = searchString(s['since'])
  const until = searchString(s['until'])
  return {
    connector: searchString(s['connector']),
    change: change && change in changeLabels ? change : undefined,
    resource: searchString(s['resource']),
    since: since && day.test(since) ? since : undefined,
    until: until && day.test(until) ? until : undefined,
    privileged: searchBool(s['privileged']),
    id: ((v) => (v && ids.test(v) ? v : undefined))(searchString(s['id'])),
    cursor: searchString(s['cursor']),
  }
}

const routeApi = getRouteApi('/access-changes')
const limit = 50

/** Recent access changes across every connector, filtered through the URL, with CSV and JSON export. */
export function AccessChangesPage() {
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const [exportError, setExportError] = useState('')
  const filter: Omit<ChangeQuery, 'limit' | 'cursor'> = {
    ...(search.connector ? { connector: search.connector } : {}),
    ...(search.change ? { change: [search.change] } : {}),
    ...(search.resource ? { resource: search.resource } : {}),
    ...(search.since ? { since: `${search.since}T00:00:00Z` } : {}),
    ...(search.until ? { until: `${search.until}T00:00:00Z` } : {}),
    ...(search.privileged ? { privileged: true } : {}),
    ...(search.id ? { id: search.id.split(',') } : {}),
  }
  const list = useAccessChanges({ ...filter, limit, ...(search.cursor ? { cursor: search.cursor } : {}) })
  const set = (p: Partial<AccessChangesSearch>) => void navigate({ search: (s) => ({ ...s, cursor: undefined, ...p }) })
  const download = (format: 'csv' | 'json') => {
    setExportError('')
    downloadChanges({ ...filter, format }).catch((e: unknown) => setExportError(e instanceof Error ? e.message : String(e)))
  }
  return (
    <>
      <h1>Access changes</h1>
      <div className="filters" role="search" aria-label="Filter access changes">
        <SearchBox label="Connector" value={search.connector} onChange={(connector) => set({ connector })} />
        <Field label="Change">
          {(p) => (
            <select {...p} value={search.change ?? ''} onChange={(e) => set({ change: e.target.value || undefined })}>
              <option value="">Any</option>
              {Object.entries(changeLabels).map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <SearchBox label="Resource or group ID" value={search.resource} onChange={(resource) => set({ resource })} />
        <Field label="From (UTC)">
          {(p) => <input {...p} type="date" value={search.since ?? ''} onChange={(e) => set({ since: e.target.value || undefined })} />}
        </Field>
        <Field label="Until (UTC)">
          {(p) => <input {...p} type="date" value={search.until ?? ''} onChange={(e) => set({ until: e.target.value || undefined })} />}
        </Field>
        <Field label="Privileged only">
          {(p) => (
            <input {...p} type="checkbox" checked={search.privileged ?? false} onChange={(e) => set({ privileged: e.target.checked || undefined })} />
          )}
        </Field>
      </div>
      {search.id && (
        <p role="status">
          Showing the {search.id.split(',').length === 1 ? 'change' : `${search.id.split(',').length} changes`} a finding names.{' '}
          <Link to="/access-changes" search={{}}>
            Show all changes
          </Link>
        </p>
      )}
      <p>
        <button type="button" className="button" onClick={() => download('csv')}>
          Export CSV
        </button>{' '}
        <button type="button" className="button" onClick={() => download('json')}>
          Export JSON
        </button>
        {exportError && <span role="alert"> {exportError}</span>}
      </p>
      <QueryState what="access changes" query={list}>
        {(p) =>
          p.items.length === 0 ? (
            <Empty>No access changes match.</Empty>
          ) : (
            <>
              <ChangesTable changes={p.items} />
              <nav className="pager" aria-label="Pages">
                <button type="button" className="button" disabled={!search.cursor} onClick={() => set({ cursor: undefined })}>
                  Newest
                </button>
                <button
                  type="button"
                  className="button"
                  disabled={!p.next_cursor}
                  onClick={() => p.next_cursor && void navigate({ search: (s) => ({ ...s, cursor: p.next_cursor }) })}
                >
                  Older
                </button>
              </nav>
            </>
          )
        }
      </QueryState>
    </>
  )
}
