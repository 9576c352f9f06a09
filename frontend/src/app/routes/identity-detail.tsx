import { getRouteApi } from '@tanstack/react-router'

import { QueryState } from '@/components/query-state'
import { AccessAsOfPanel } from '@/features/history/components/access-as-of'
import { AccessTimeline } from '@/features/history/components/access-timeline'
import { useIdentity } from '@/features/identities/api/get-identity'
import { IdentityDetailView } from '@/features/identities/components/identity-detail'

const routeApi = getRouteApi('/identities/$id')

export function IdentityDetailPage() {
  const { id } = routeApi.useParams()
  const identity = useIdentity(Number(id))
  return (
    <QueryState what="the identity" query={identity}>
      {(i) => (
        <>
          <IdentityDetailView identity={i} />
          <AccessTimeline title="Access timeline" filter={{ identity: i.id }} />
          <AccessAsOfPanel identityId={i.id} />
        </>
      )}
    </QueryState>
  )
}
