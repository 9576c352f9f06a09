import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import type { Run } from '../api/get-system-health'
import { describeUnavailable, RunUnavailable } from './run-unavailable'

const run = (unavailable: string[]): Run =>
  ({ id: 1, connector_id: 'github-acme', lane: 'full', trigger: 'schedule', status: 'succeeded', stages_done: [], counts: {},
    progress: {}, unavailable, attempts: 1, started_at: '2026-01-01T10:00:00Z', duration_ms: 1 }) as unknown as Run

describe('RunUnavailable', () => {
  it('says what the run could not read, scopes spelled out', () => {
    render(<RunUnavailable run={run(['grants[via=org_base]', 'credentials[kind=github_pat]', 'accounts'])} />)
    const p = screen.getByText(/Not readable with this credential/).closest('p')!
    expect(p.textContent).toBe(
      'Not readable with this credential in the full run (earlier rows kept): grants where via = org_base, credentials where kind = github_pat, accounts',
    )
  })
  it('shows nothing when everything was read', () => {
    const { container } = render(<RunUnavailable run={run([])} />)
    expect(container.textContent).toBe('')
  })
  it('reads escaped scope values', () => {
    expect(describeUnavailable('grants[resource_external_id=90001&via=effective]')).toBe('grants where resource_external_id = 90001, via = effective')
    expect(describeUnavailable('dataset:password_policies')).toBe('dataset:password_policies')
  })
})
