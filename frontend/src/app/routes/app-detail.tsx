import { getRouteApi } from '@tanstack/react-router'

import { QueryState } from '@/components/query-state'
import { useApp } from '@/features/discovery/api/get-app'
import { AppDetailView } from '@/features/discovery/components/app-detail'
import { useIsAdmin } from '@/features/session/api/get-me'

const routeApi = getRouteApi('/discovery/$key')

export function AppDetailPage() {
  const { key } = routeApi.useParams()
  const app = useApp(key)
  const isAdmin = useIsAdmin()
  return (
    <QueryState what="the app" query={app}>
      {(a) => <AppDetailView key={a.key} app={a} readOnly={!isAdmin} />}
    </QueryState>
  )
}
