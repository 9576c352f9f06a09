import { getRouteApi, useNavigate } from '@tanstack/react-router'

import { Field } from '@/components/field'
import { QueryState } from '@/components/query-state'
import { useKinds } from '@/features/connectors/api/list-kinds'
import { ConnectorForm } from '@/features/connectors/components/connector-form'
import { useIsAdmin } from '@/features/session/api/get-me'
import { searchString } from '@/lib/search'

export interface ConnectorNewSearch {
  kind?: string | undefined
}

export function connectorNewSearch(s: Record<string, unknown>): ConnectorNewSearch {
  return { kind: searchString(s['kind']) }
}

const routeApi = getRouteApi('/settings/connectors/new')

export function ConnectorNewPage() {
  const { kind } = routeApi.useSearch()
  const navigate = useNavigate()
  const isAdmin = useIsAdmin()
  const kinds = useKinds()
  return (
    <>
      <h1>Add connector</h1>
      <QueryState what="connector kinds" query={kinds}>
        {(ks) => {
          const chosen = ks.find((k) => k.kind === kind)
          return (
            <>
              <Field label="Kind">
                {(a) => (
                  <select {...a} value={kind ?? ''}
                    onChange={(e) => void navigate({ to: '/settings/connectors/new', search: { kind: e.target.value || undefined } })}>
                    <option value="">Choose a kind…</option>
                    {ks.map((k) => (
                      <option key={k.kind} value={k.kind}>{k.kind}</option>
                    ))}
                  </select>
                )}
              </Field>
              {chosen && (
                <ConnectorForm key={chosen.kind} kind={chosen} readOnly={!isAdmin}
                  onSaved={(c) => void navigate({ to: '/settings/connectors/$id', params: { id: c.id } })} />
              )}
            </>
          )
        }}
      </QueryState>
    </>
  )
}
