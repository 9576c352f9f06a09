import type { TestResult } from '../api/test-connector'

export function TestResultNote({ result }: { result: TestResult }) {
  return (
    <div role="status" className={result.ok ? 'note note-good' : 'alert'}>
      <strong>{result.ok ? 'Connection works.' : 'Connection failed.'}</strong> {result.message}
      {result.ok && ` (${result.rows} rows${result.stage ? ` from ${result.stage}` : ''} in ${result.duration_ms} ms)`}
    </div>
  )
}
