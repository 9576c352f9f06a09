import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { ApiError, request } from '@/lib/api'

export type PushHook = components['schemas']['PushHook']

/** getPushHook reads a connector's push hook registration; null when none was attempted (404). */
export async function getPushHook(id: string, signal?: AbortSignal): Promise<PushHook | null> {
  try {
    return await request('get', '/api/connectors/{id}/push-hook', { path: { id }, signal })
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null
    throw err
  }
}

export function usePushHook(id: string) {
  return useQuery({ queryKey: ['connectors', 'push-hook', id], queryFn: ({ signal }) => getPushHook(id, signal) })
}

/** registerPushHook registers the connector's push hook with the provider at url (this deployment's base URL). */
export function registerPushHook(id: string, url: string) {
  return request('post', '/api/connectors/{id}/push-hook', { path: { id }, body: { url } })
}

export function useRegisterPushHook(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (url: string) => registerPushHook(id, url),
    onSuccess: (hook) => qc.setQueryData(['connectors', 'push-hook', id], hook),
    // A refused registration is stored as the last failure: show it.
    onError: () => qc.invalidateQueries({ queryKey: ['connectors', 'push-hook', id] }),
  })
}
