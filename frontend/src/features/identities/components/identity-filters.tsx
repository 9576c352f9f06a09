import { Field, TriStateSelect } from '@/components/field'
import { SearchBox } from '@/components/search-box'

export interface IdentityFilterValues {
  q?: string | undefined
  kind?: 'person' | 'service' | 'bot' | undefined
  source?: string | undefined
  managed?: boolean | undefined
  privileged?: boolean | undefined
  stale?: boolean | undefined
  leaver?: boolean | undefined
}

/** The identities list's filters; each change goes to onChange (the page keeps them in the URL). */
export function IdentityFilters({
  value,
  sources,
  onChange,
}: {
  value: IdentityFilterValues
  sources: { id: string; name: string }[]
  onChange: (p: Partial<IdentityFilterValues>) => void
}) {
  return (
    <div className="filters" role="search" aria-label="Filter identities">
      <SearchBox label="Search name or email" value={value.q} onChange={(q) => onChange({ q })} />
      <Field label="Kind">
        {(a) => (
          <select {...a} value={value.kind ?? ''}
            onChange={(e) => onChange({ kind: (e.target.value || undefined) as IdentityFilterValues['kind'] })}>
            <option value="">Any</option>
            <option value="person">person</option>
            <option value="service">service</option>
            <option value="bot">bot</option>
          </select>
        )}
      </Field>
      <Field label="Source">
        {(a) => (
          <select {...a} value={value.source ?? ''} onChange={(e) => onChange({ source: e.target.value || undefined })}>
            <option value="">Any</option>
            {sources.map((s) => (
              <option key={s.id} value={s.id}>{s.name}</option>
            ))}
          </select>
        )}
      </Field>
      <TriStateSelect label="Managed" value={value.managed} onChange={(managed) => onChange({ managed })} />
      <TriStateSelect label="Privileged" value={value.privileged} onChange={(privileged) => onChange({ privileged })} />
      <TriStateSelect label="Stale" value={value.stale} onChange={(stale) => onChange({ stale })} />
      <TriStateSelect label="Leaver" value={value.leaver} onChange={(leaver) => onChange({ leaver })} />
    </div>
  )
}
