import { getRouteApi } from '@tanstack/react-router'

import { Field } from '@/components/field'
import { Empty, QueryState } from '@/components/query-state'
import { useConnectors } from '@/features/connectors/api/list-connectors'
import { usePosture, type PostureScope } from '@/features/posture/api/get-posture'
import { RulesetPanel } from '@/features/posture/components/ruleset-panel'
import { useIsAdmin } from '@/features/session/api/get-me'
import { searchString } from '@/lib/search'

export interface PostureSearch {
  connector?: string | undefined
}

export function postureSearch(s: Record<string, unknown>): PostureSearch {
  return { connector: searchString(s['connector']) }
}

const routeApi = getRouteApi('/posture')

function scopeTitle(s: PostureScope) {
  return s.scope_kind === 'global' ? 'Global (all sources)' : `${s.connector_name || s.source_name} (${s.source_kind})`
}

/**
 * Every scope's rulesets: the score (passed of evaluated), the failing rules with affected resources, and every
 * rule's status; admins attest rules and disable or tune rulesets and rules here.
 */
export function PosturePage() {
  const isAdmin = useIsAdmin()
  const search = routeApi.useSearch()
  const navigate = routeApi.useNavigate()
  const posture = usePosture(search.connector)
  const connectors = useConnectors({ limit: 200, offset: 0, sort: 'name' })
  return (
    <>
      <h1>Posture</h1>
      <div className="filters" role="search" aria-label="Filter posture">
        <Field label="Scope">
          {(a) => (
            <select {...a} value={search.connector ?? ''} onChange={(e) => void navigate({ search: { connector: e.target.value || undefined } })}>
              <option value="">All</option>
              <option value="global">Global</option>
              {(connectors.data?.items ?? []).map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          )}
        </Field>
      </div>
      <QueryState what="posture" query={posture}>
        {(p) =>
          p.scopes.length === 0 ? (
            <Empty>No rule results yet. Rules are evaluated after each sync.</Empty>
          ) : (
            p.scopes.map((s) => (
              <section key={`${s.scope_kind}/${s.source_name ?? ''}`} aria-label={scopeTitle(s)}>
                <h2>{scopeTitle(s)}</h2>
                {s.rulesets.map((r) => (
                  <RulesetPanel key={r.key} ruleset={r} scope={s.scope_kind === 'global' ? 'global' : (s.source_name ?? '')} canEdit={isAdmin} />
                ))}
              </section>
            ))
          )
        }
      </QueryState>
    </>
  )
}
