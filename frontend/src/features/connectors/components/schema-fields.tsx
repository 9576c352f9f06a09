import { Field } from '@/components/field'

/** The parts of a JSON Schema property the form understands. */
interface PropertySchema {
  type?: string
  title?: string
  description?: string
  enum?: unknown[]
  default?: unknown
  format?: string
  items?: { type?: string }
}

export type ConfigSchema = Record<string, unknown>

function properties(schema: ConfigSchema): [string, PropertySchema][] {
  const props = schema['properties']
  if (typeof props !== 'object' || props === null) return []
  return Object.entries(props as Record<string, PropertySchema>)
}

function required(schema: ConfigSchema): Set<string> {
  const r = schema['required']
  return new Set(Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [])
}

/** The schema's defaults, as a new connector's starting config. */
export function schemaDefaults(schema: ConfigSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, p] of properties(schema)) if (p.default !== undefined) out[name] = p.default
  return out
}

/**
 * One control per property of a kind's config schema: a select for an enum, a checkbox for a boolean, a number
 * input for numbers, a textarea (one value a line) for a list, and a text input otherwise; the description is
 * the help text.
 */
export function SchemaFields({
  schema,
  value,
  onChange,
  readOnly,
}: {
  schema: ConfigSchema
  value: Record<string, unknown>
  onChange: (value: Record<string, unknown>) => void
  readOnly: boolean
}) {
  const req = required(schema)
  const set = (name: string, v: unknown) => {
    const next = { ...value }
    if (v === undefined || v === '') delete next[name]
    else next[name] = v
    onChange(next)
  }
  return (
    <>
      {properties(schema).map(([name, p]) => (
        <Field key={name} label={`${p.title ?? name}${req.has(name) ? ' (required)' : ''}`} help={p.description}>
          {(a) => <Control {...a} name={name} prop={p} value={value[name]} set={set} readOnly={readOnly} required={req.has(name)} />}
        </Field>
      ))}
    </>
  )
}

function Control({
  name,
  prop,
  value,
  set,
  readOnly,
  required,
  ...a
}: {
  id: string
  'aria-describedby'?: string
  name: string
  prop: PropertySchema
  value: unknown
  set: (name: string, v: unknown) => void
  readOnly: boolean
  required: boolean
}) {
  if (prop.enum) {
    return (
      <select {...a} required={required} disabled={readOnly} value={value === undefined ? '' : String(value)} onChange={(e) => set(name, e.target.value)}>
        {!required && <option value="">—</option>}
        {prop.enum.map((o) => (
          <option key={String(o)} value={String(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    )
  }
  switch (prop.type) {
    case 'boolean':
      return <input {...a} type="checkbox" disabled={readOnly} checked={value === true} onChange={(e) => set(name, e.target.checked)} />
    case 'number':
    case 'integer':
      return (
        <input
          {...a}
          type="number"
          step={prop.type === 'integer' ? 1 : 'any'}
          readOnly={readOnly}
          required={required}
          value={typeof value === 'number' ? value : ''}
          onChange={(e) => set(name, e.target.value === '' ? undefined : Number(e.target.value))}
        />
      )
    case 'array':
      return (
        <textarea
          {...a}
          rows={4}
          readOnly={readOnly}
          placeholder="One a line"
          value={Array.isArray(value) ? value.join('\n') : ''}
          onChange={(e) => {
            const lines = e.target.value.split('\n')
            set(name, lines.length === 1 && lines[0] === '' ? undefined : lines)
          }}
          onBlur={(e) => {
            const lines = e.target.value.split('\n').map((l) => l.trim()).filter(Boolean)
            set(name, lines.length ? lines : undefined)
          }}
        />
      )
    default:
      return (
        <input
          {...a}
          type={prop.format === 'uri' ? 'url' : 'text'}
          readOnly={readOnly}
          required={required}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => set(name, e.target.value)}
        />
      )
  }
}
