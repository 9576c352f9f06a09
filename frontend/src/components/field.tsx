import { useId, type ReactNode } from 'react'

/** A labelled form control with optional help text, wired with aria-describedby. */
export function Field({
  label,
  help,
  children,
}: {
  label: string
  help?: ReactNode
  children: (props: { id: string; 'aria-describedby'?: string }) => ReactNode
}) {
  const id = useId()
  const helpId = `${id}-help`
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(help ? { id, 'aria-describedby': helpId } : { id })}
      {help && (
        <p id={helpId} className="help">
          {help}
        </p>
      )}
    </div>
  )
}

/** A yes/any/no select for a boolean filter. */
export function TriStateSelect({
  label,
  value,
  onChange,
}: {
  label: string
  value: boolean | undefined
  onChange: (v: boolean | undefined) => void
}) {
  return (
    <Field label={label}>
      {(p) => (
        <select
          {...p}
          value={value === undefined ? '' : String(value)}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'true')}
        >
          <option value="">Any</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      )}
    </Field>
  )
}
