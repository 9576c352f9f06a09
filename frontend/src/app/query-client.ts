import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query'

import { ApiError } from '@/lib/api'
import { setToken } from '@/lib/token'

/** A 401 from the API means the session is over: forget the token, and the app shows the sign-in page. */
export function endSessionOn401(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) setToken(null)
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: endSessionOn401 }),
    mutationCache: new MutationCache({ onError: endSessionOn401 }),
    defaultOptions: {
      queries: {
        retry: (n, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && n < 1,
        staleTime: 5_000,
      },
    },
  })
}
