import { useState, type FormEvent } from 'react'

import { Field } from '@/components/field'
import { ApiProblem } from '@/lib/api'

import { useRemoveRuleOverride } from '../api/remove-rule-override'
import type { RuleOverride, RuleParameters, RuleParamSchema, RuleTarget } from '../api/rule-controls'
import { useSetRuleOverride } from '../api/set-rule-override'

type Kind = NonNullable<RuleParamSchema['type']>
/** A parameter's value while it is edited: text for numbers, strings, lists and objects; a flag for booleans. */
type Draft = string | boolean

function kindOf(schema: RuleParamSchema | undefined, value: unknown): Kind {
  if (schema?.type) return schema.type
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return 'number'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object' && value !== null) return 'object'
  return 'string'
}

function toDraft(kind: Kind, v: unknown): Draft {
  switch (kind) {
    case 'boolean':
      return v === true
    case 'array':
      return Array.isArray(v) ? v.map(String).join('\n') : ''
    case 'object':
      return JSON.stringify(v ?? {}, null, 2)
    default:
      return v === undefined || v === null ? '' : String(v)
  }
}

/** The value a draft stands for; undefined leaves the default. Throws a message for text that is not one. */
function fromDraft(kind: Kind, d: Draft): unknown {
  if (typeof d === 'boolean') return d
  switch (kind) {
    case 'integer':
    case 'number': {
      if (d.trim() === '') return undefined
      const n = Number(d)
      if (!Number.isFinite(n)) throw new Error('must be a number')
      return n
    }
    case 'array':
      return d.split('\n').map((s) => s.trim()).filter((s) => s !== '')
    case 'object':
      try {
        return JSON.parse(d) as unknown
      } catch {
        throw new Error('must be a JSON object')
      }
    default:
      return d
  }
}

function range(s: RuleParamSchema | undefined): string {
  const parts = []
  if (s?.minimum !== undefined) parts.push(`at least ${s.minimum}`)
  if (s?.maximum !== undefined) parts.push(`at most ${s.maximum}`)
  return parts.join(', ')
}

/** The per-parameter messages of a 422 (locations body.params.<name>). */
function paramErrors(err: Error | null): Record<string, string> {
  const out: Record<string, string> = {}
  if (!(err instanceof ApiProblem)) return out
  for (const e of err.problem.errors ?? []) {
    const name = e.location?.startsWith('body.params.') ? e.location.slice('body.params.'.length) : undefined
    if (name && e.message) out[name] = e.message
  }
  return out
}

/**
 * One control per parameter of a rule, generated from its schema: a number input for numbers, a checkbox for a
 * boolean, a select for an enum, a textarea (one value a line) for a list, JSON for an object, and text
 * otherwise. Only values that differ from the defaults are saved; the server validates them and its messages
 * show next to the fields.
 */
export function ParamsForm({ target, parameters, override, onDone }: {
  target: RuleTarget
  parameters: RuleParameters
  override?: RuleOverride | undefined
  onDone: () => void
}) {
  const save = useSetRuleOverride(target)
  const remove = useRemoveRuleOverride(target)
  const customised = Object.keys(override?.params ?? {}).length > 0
  // Back to the defaults: a disabled rule stays disabled.
  const reset = () => {
    if (override?.enabled === false) save.mutate({ enabled: false }, { onSuccess: onDone })
    else remove.mutate(undefined, { onSuccess: onDone })
  }
  const names = Object.keys(parameters.defaults).sort()
  const kinds = Object.fromEntries(names.map((n) => [n, kindOf(parameters.schema?.[n], parameters.defaults[n])])) as Record<string, Kind>
  const [drafts, setDrafts] = useState<Record<string, Draft>>(() =>
    Object.fromEntries(names.map((n) => [n, toDraft(kinds[n]!, override?.params?.[n] ?? parameters.defaults[n])])))
  const [local, setLocal] = useState<Record<string, string>>({})
  const errors = { ...paramErrors(save.error), ...local }
  const failure = save.error ?? remove.error
  const other = failure && Object.keys(paramErrors(failure)).length === 0 ? failure.message : undefined

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const params: Record<string, unknown> = {}
    const bad: Record<string, string> = {}
    for (const n of names) {
      try {
        const v = fromDraft(kinds[n]!, drafts[n] ?? '')
        if (v !== undefined && JSON.stringify(v) !== JSON.stringify(parameters.defaults[n])) params[n] = v
      } catch (err) {
        bad[n] = err instanceof Error ? err.message : String(err)
      }
    }
    setLocal(bad)
    if (Object.keys(bad).length > 0) return
    save.mutate({ enabled: override?.enabled ?? true, params }, { onSuccess: onDone })
  }
  const set = (n: string, d: Draft) => setDrafts({ ...drafts, [n]: d })

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={`Parameters of ${target.rule}`}>
      {names.map((n) => {
        const s = parameters.schema?.[n]
        const kind = kinds[n]!
        const help = [s?.description, range(s), `Default: ${JSON.stringify(parameters.defaults[n])}.`,
          kind === 'array' ? 'One value a line.' : ''].filter(Boolean).join(' ')
        const err = errors[n]
        return (
          <Field key={n} label={n} help={err ? <><strong>{err}</strong> {help}</> : help}>
            {(a) => {
              const common = { ...a, 'aria-invalid': err ? true : undefined }
              const d = drafts[n]
              if (kind === 'boolean') {
                return <input {...common} type="checkbox" checked={d === true} onChange={(e) => set(n, e.target.checked)} />
              }
              if (s?.enum && s.enum.length > 0) {
                return (
                  <select {...common} value={String(d)} onChange={(e) => set(n, e.target.value)}>
                    {s.enum.map((v) => <option key={String(v)} value={String(v)}>{String(v)}</option>)}
                  </select>
                )
              }
              if (kind === 'integer' || kind === 'number') {
                return <input {...common} type="number" step={kind === 'integer' ? 1 : 'any'} value={String(d)} onChange={(e) => set(n, e.target.value)} />
              }
              if (kind === 'array' || kind === 'object') {
                return <textarea {...common} rows={4} value={String(d)} onChange={(e) => set(n, e.target.value)} />
              }
              return <input {...common} type="text" value={String(d)} onChange={(e) => set(n, e.target.value)} />
            }}
          </Field>
        )
      })}
      <div className="actions">
        <button type="submit" className="button primary" disabled={save.isPending || remove.isPending}>Save parameters</button>
        {customised && (
          <button type="button" className="button" disabled={save.isPending || remove.isPending} onClick={reset}>Reset to defaults</button>
        )}
        <button type="button" className="button" onClick={onDone}>Cancel</button>
      </div>
      {Object.keys(errors).length > 0 && <div role="alert" className="alert">Some parameters are invalid; see the fields above.</div>}
      {other && <div role="alert" className="alert">{other}</div>}
    </form>
  )
}
