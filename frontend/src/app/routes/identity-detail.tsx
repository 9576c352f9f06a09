import { getRouteApi } from '@tanstack/react-router'

import { QueryState } from '@/components/query-state'
import { useIdentity } from '@/features/identities/api/get-identity'
import { IdentityDetailView } from '@/features/identities/components/identity-detail'

const routeApi = getRouteApi('/identities/$id')

export function IdentityDetailPage() {
  const { id } = routeApi.useParams()
  const identity = useIdentity(Number(id))
  return (
    <QueryState what="the identity" query={identity}>
      {(i) => <IdentityDetailView identity={i} />}
    </QueryState>
  )
}
