import { QueryClientProvider, type QueryClient } from '@tanstack/react-query'
import { RouterProvider, type RouterHistory } from '@tanstack/react-router'
import { useState } from 'react'

import { createQueryClient } from './query-client'
import { createAppRouter } from './router'

/** The app's providers around the router. Tests pass their own query client and a memory history. */
export function App({ queryClient, history }: { queryClient?: QueryClient; history?: RouterHistory }) {
  const [client] = useState(() => queryClient ?? createQueryClient())
  const [router] = useState(() => createAppRouter(client, history))
  return (
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  )
}
