import { Field } from '@/components/field'
import { SearchBox } from '@/components/search-box'

export interface EventFilterValues {
  connector?: string | undefined
  type?: string | undefined
  actor?: string | undefined
  target?: string | undefined
  outcome?: string | undefined
  since?: string | undefined
  until?: string | undefined
}

/** datetime-local values are local times; the API takes RFC 3339. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
}

function fromLocalInput(v: string): string | undefined {
  return v ? new Date(v).toISOString() : undefined
}

export function EventFilters({ value, onChange }: { value: EventFilterValues; onChange: (p: Partial<EventFilterValues>) => void }) {
  return (
    <div className="filters" role="search" aria-label="Filter events">
      <SearchBox label="Source connector" value={value.connector} onChange={(connector) => onChange({ connector })} />
      <SearchBox label="Type (or prefix)" value={value.type} onChange={(type) => onChange({ type })} />
      <SearchBox label="Actor" value={value.actor} onChange={(actor) => onChange({ actor })} />
      <SearchBox label="Target" value={value.target} onChange={(target) => onChange({ target })} />
      <SearchBox label="Outcome" value={value.outcome} onChange={(outcome) => onChange({ outcome })} />
      <Field label="Since">
        {(a) => <input {...a} type="datetime-local" value={toLocalInput(value.since)} onChange={(e) => onChange({ since: fromLocalInput(e.target.value) })} />}
      </Field>
      <Field label="Until">
        {(a) => <input {...a} type="datetime-local" value={toLocalInput(value.until)} onChange={(e) => onChange({ until: fromLocalInput(e.target.value) })} />}
      </Field>
    </div>
  )
}
