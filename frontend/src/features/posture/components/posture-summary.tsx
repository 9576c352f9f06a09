import { Link } from '@tanstack/react-router'

import { Panel } from '@/components/panel'
import { QueryState } from '@/components/query-state'

import { usePosture } from '../api/get-posture'
import { ScoreBar } from './ruleset-panel'

/** Each scope's ruleset scores, for the overview. */
export function PostureSummary() {
  const posture = usePosture()
  return (
    <Panel title="Posture score per ruleset" actions={<Link to="/posture">Posture</Link>}>
      <QueryState what="posture" query={posture}>
        {(p) =>
          p.scopes.length === 0 ? (
            <p className="muted">No rule results yet.</p>
          ) : (
            <ul className="glance">
              {p.scopes.flatMap((s) =>
                s.rulesets.map((r) => (
                  <li key={`${s.source_name ?? 'global'}/${r.key}`}>
                    <Link to="/posture" search={{ connector: s.scope_kind === 'global' ? 'global' : s.source_name }}>
                      {s.scope_kind === 'global' ? 'Global' : s.connector_name || s.source_name}: {r.key}
                    </Link>{' '}
                    <ScoreBar passed={r.passed} evaluated={r.evaluated} />
                    {r.failed > 0 && <span className="muted"> · {r.failed} failing</span>}
                  </li>
                )),
              )}
            </ul>
          )
        }
      </QueryState>
    </Panel>
  )
}
