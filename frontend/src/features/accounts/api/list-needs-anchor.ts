import { keepPreviousData, useQuery } from '@tanstack/react-query'

import type { operations } from '@/api/schema'
import { request } from '@/lib/api'

export type NeedsAnchorQuery = NonNullable<operations['listNeedsAnchor']['parameters']['query']>

/** listNeedsAnchor reads a connector's live accounts that no anchored identity claims. */
export function listNeedsAnchor(id: string, query: NeedsAnchorQuery, signal?: AbortSignal) {
  return request('get', '/api/connectors/{id}/needs-anchor', { path: { id }, query, signal })
}

export function useNeedsAnchor(id: string, query: NeedsAnchorQuery, enabled = true) {
  return useQuery({
    queryKey: ['accounts', id, 'needs-anchor', query],
    queryFn: ({ signal }) => listNeedsAnchor(id, query, signal),
    placeholderData: keepPreviousData,
    enabled,
  })
}
