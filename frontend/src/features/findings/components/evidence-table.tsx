import type { ReactNode } from 'react'

/** A scalar as text: strings as they are, other values as JSON. */
function scalar(v: unknown): string {
  if (v === null || v === undefined) return '—'
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** One evidence value: objects as nested field tables, lists of objects as tables with a column per field. */
function Value({ value }: { value: unknown }): ReactNode {
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>
    if (value.every(isRecord)) {
      const cols = [...new Set(value.flatMap((r) => Object.keys(r)))]
      return (
        <table className="evidence-rows">
          <thead>
            <tr>{cols.map((c) => <th key={c} scope="col">{c.replaceAll('_', ' ')}</th>)}</tr>
          </thead>
          <tbody>
            {value.map((r, i) => (
              <tr key={i}>{cols.map((c) => <td key={c}><Value value={r[c]} /></td>)}</tr>
            ))}
          </tbody>
        </table>
      )
    }
    return <>{value.map(scalar).join(', ')}</>
  }
  if (isRecord(value)) return <Fields record={value} />
  return <>{scalar(value)}</>
}

function Fields({ record, caption }: { record: Record<string, unknown>; caption?: string }) {
  return (
    <table className="evidence-fields" aria-label={caption}>
      <tbody>
        {Object.entries(record).map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k.replaceAll('_', ' ')}</th>
            <td><Value value={v} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** A finding's evidence as a table of its fields, with the raw JSON behind a toggle. */
export function EvidenceTable({ evidence }: { evidence: unknown }) {
  return (
    <>
      {isRecord(evidence) ? <Fields record={evidence} caption="Evidence fields" /> : <Value value={evidence} />}
      <details>
        <summary>Raw JSON</summary>
        <pre className="raw">{JSON.stringify(evidence, null, 2)}</pre>
      </details>
    </>
  )
}
