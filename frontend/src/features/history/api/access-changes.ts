import { keepPreviousData, useQuery } from '@tanstack/react-query'

import type { components, operations } from '@/api/schema'
import { ApiError, queryString, request } from '@/lib/api'
import { getToken } from '@/lib/token'

export type AccessChange = components['schemas']['AccessChange']
export type ChangeQuery = NonNullable<operations['listAccessChanges']['parameters']['query']>
export type ExportQuery = NonNullable<operations['exportAccessChanges']['parameters']['query']>

export function listAccessChanges(query: ChangeQuery, signal?: AbortSignal) {
  return request('get', '/api/access-changes', { query, signal })
}

/** One page of access changes, newest first; the next page is asked for with the page's next_cursor. */
export function useAccessChanges(query: ChangeQuery) {
  return useQuery({
    queryKey: ['access-changes', 'list', query],
    queryFn: ({ signal }) => listAccessChanges(query, signal),
    placeholderData: keepPreviousData,
  })
}

/** The count of privileged access changes of the last seven days. */
export function useChangeSummary() {
  return useQuery({
    queryKey: ['access-changes', 'summary'],
    queryFn: ({ signal }) => request('get', '/api/access-changes/summary', { signal }),
  })
}

/**
 * downloadChanges fetches the filtered list as CSV or JSON with the signed-in user's token and hands it to the
 * browser as a file (a plain link would not carry the token).
 */
export async function downloadChanges(query: ExportQuery): Promise<void> {
  const url = '/api/access-changes/export' + queryString(query as Record<string, unknown>)
  const res = await fetch(url, { headers: { Authorization: `Bearer ${getToken() ?? ''}` } })
  if (!res.ok) throw new ApiError(`GET /api/access-changes/export: ${res.status} ${res.statusText}`.trim(), res.status)
  const blob = await res.blob()
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = `access-changes.${query.format ?? 'csv'}`
  a.click()
  URL.revokeObjectURL(a.href)
}
