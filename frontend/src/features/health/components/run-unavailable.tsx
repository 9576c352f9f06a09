import type { Run } from '../api/get-system-health'

/**
 * What a run could not read (the credential may not list it): each entry is an entity, whole or by scope, e.g.
 * `grants[via=org_base]` (the base permission) or `credentials[kind=github_pat]`. Their earlier rows are kept.
 */
export function RunUnavailable({ run }: { run: Run }) {
  if (run.unavailable.length === 0) return null
  return (
    <p className="run-unavailable">
      <strong>Not readable with this credential in the {run.lane} run</strong> (earlier rows kept):{' '}
      {run.unavailable.map((u, i) => (
        <span key={u}>
          {i > 0 ? ', ' : null}
          <code>{describeUnavailable(u)}</code>
        </span>
      ))}
    </p>
  )
}

/** `grants[via=org_base]` → `grants where via = org_base`; a whole entity or a dataset reads as it is. */
export function describeUnavailable(u: string): string {
  const m = /^([^[]+)\[(.*)\]$/.exec(u)
  if (!m) return u
  const cols = new URLSearchParams(m[2])
  return `${m[1]} where ${[...cols].map(([k, v]) => `${k} = ${v}`).join(', ')}`
}
