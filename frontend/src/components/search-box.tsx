import { useEffect, useState } from 'react'

import { Field } from './field'

/** A text filter that reports its value on submit (Enter) or blur, so each keystroke is not a request. */
export function SearchBox({
  label,
  value,
  onChange,
}: {
  label: string
  value: string | undefined
  onChange: (v: string | undefined) => void
}) {
  const [text, setText] = useState(value ?? '')
  useEffect(() => setText(value ?? ''), [value])
  const commit = () => {
    const v = text.trim()
    if (v !== (value ?? '')) onChange(v === '' ? undefined : v)
  }
  return (
    <Field label={label}>
      {(p) => (
        <input
          {...p}
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault()
              commit()
            }
          }}
        />
      )}
    </Field>
  )
}
