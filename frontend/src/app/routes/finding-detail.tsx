import { getRouteApi } from '@tanstack/react-router'

import { QueryState } from '@/components/query-state'
import { useFinding } from '@/features/findings/api/get-finding'
import { FindingDetailView } from '@/features/findings/components/finding-detail'
import { useIsAdmin } from '@/features/session/api/get-me'

const routeApi = getRouteApi('/findings/$id')

export function FindingDetailPage() {
  const { id } = routeApi.useParams()
  const finding = useFinding(Number(id))
  const isAdmin = useIsAdmin()
  return (
    <QueryState what="the finding" query={finding}>
      {(f) => <FindingDetailView finding={f} readOnly={!isAdmin} />}
    </QueryState>
  )
}
