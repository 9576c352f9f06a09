import { QueryClientProvider, type QueryClient } from '@tanstack/react-query'
import { RouterProvider, type RouterHistory } from '@tanstack/react-router'
import { useEffect, useState } from 'react'

import { onTokenChange } from '@/lib/token'

import { createQueryClient } from './query-client'
import { createAppRouter, signInPath } from './router'

/** The app's providers around the router. Tests pass their own query client and a memory history. */
export function App({ queryClient, history }: { queryClient?: QueryClient; history?: RouterHistory }) {
  const [client] = useState(() => queryClient ?? createQueryClient())
  const [router] = useState(() => createAppRouter(client, history))

  // When the session ends (sign-out or a 401), drop cached data and show the sign-in page.
  useEffect(
    () =>
      onTokenChange((token) => {
        if (token) return
        client.clear()
        const here = router.state.location
        if (here.pathname !== signInPath) {
          void router.navigate({ to: signInPath, search: { redirect: here.href } })
        }
      }),
    [client, router],
  )

  return (
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  )
}
