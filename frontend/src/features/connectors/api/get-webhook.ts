import { useQuery } from '@tanstack/react-query'

import { request } from '@/lib/api'

/** getWebhook reads the webhook path and secret (admins only; every read is audited). */
export function getWebhook(id: string, signal?: AbortSignal) {
  return request('get', '/api/connectors/{id}/webhook', { path: { id }, signal })
}

export function useWebhook(id: string, enabled: boolean) {
  return useQuery({
    queryKey: ['connectors', 'webhook', id],
    queryFn: ({ signal }) => getWebhook(id, signal),
    enabled,
    staleTime: Infinity,
  })
}
