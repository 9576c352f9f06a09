import { queryOptions, useQuery } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'

export type IdentitySuggestion = components['schemas']['IdentitySuggestion']

export function suggestIdentities(id: string, externalId: string, signal?: AbortSignal) {
  return request('get', '/api/connectors/{id}/accounts/{external_id}/suggestions', { path: { id, external_id: externalId }, signal })
}

/** Identities likely to own an account (same name, email local part, known alias), best first. */
export function useIdentitySuggestions(connectorId: string, externalId: string) {
  return useQuery(
    queryOptions({
      queryKey: ['accounts', connectorId, 'suggestions', externalId],
      queryFn: ({ signal }) => suggestIdentities(connectorId, externalId, signal),
    }),
  )
}
