import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import type { SystemHealth } from '../api/get-system-health'
import { LaneHealth } from './lane-health'

const base: SystemHealth = { lanes: [], connectors: [], inbox: [], tail: [] }
const tail = (t: Partial<SystemHealth['tail'][number]>): SystemHealth['tail'][number] => ({
  connector_id: 'github-acme', stream: 'audit_log', lag_seconds: 0, requests_per_minute: 0, unavailable: false, updated_at: '2026-01-01T10:00:00Z', ...t,
})

describe('LaneHealth tails', () => {
  it('shows an unavailable stream as a state with its reason, not as an error', () => {
    render(
      <LaneHealth
        health={{
          ...base,
          tail: [
            tail({
              unavailable: true, next_read_at: '2026-01-02T10:00:00Z',
              unavailable_reason: 'github audit log unavailable (it needs GitHub Enterprise Cloud) (404)',
            }),
            tail({ connector_id: 'okta-main', stream: 'system_log', next_read_at: '2026-01-01T11:00:00Z' }),
            tail({ connector_id: 'okta-2', stream: 'system_log', last_error: 'okta logs: 502 Bad Gateway' }),
          ],
        }}
      />,
    )
    const rows = screen.getByRole('table', { name: 'Tail lag' }).querySelectorAll('tbody tr')
    expect(rows[0]!.textContent).toMatch(/unavailable github audit log unavailable .*\(404\).*next try/)
    expect(rows[0]!.querySelector('pre.inline-error')).toBeNull()
    expect(rows[1]!.textContent).toMatch(/waiting for the provider's rate limit until/)
    expect(rows[2]!.querySelector('pre.inline-error')?.textContent).toBe('okta logs: 502 Bad Gateway')
  })

  it("shows each tail's request rate against its rate-limit bucket", () => {
    render(
      <LaneHealth
        health={{
          ...base,
          tail: [
            tail({ connector_id: 'okta-main', stream: 'system_log', requests_per_minute: 2.5, bucket_limit_per_minute: 50 }),
            tail({ requests_per_minute: 1 }),
          ],
        }}
      />,
    )
    const rows = screen.getByRole('table', { name: 'Tail lag' }).querySelectorAll('tbody tr')
    expect(rows[0]!.textContent).toContain('2.5/min of 50/min (5%)')
    expect(rows[1]!.textContent).toContain('1/min')
  })

  it('says why a tail is behind when it has no other state', () => {
    render(
      <LaneHealth
        health={{
          ...base,
          tail: [
            tail({ lag_seconds: 1200, behind: 'quiet', behind_reason: "read 1m0s ago; the provider's log had nothing newer" }),
            tail({ connector_id: 'okta-2', stream: 'system_log', lag_seconds: 2400, behind: 'not_read', behind_reason: 'not read for 30m0s' }),
          ],
        }}
      />,
    )
    const rows = screen.getByRole('table', { name: 'Tail lag' }).querySelectorAll('tbody tr')
    expect(rows[0]!.textContent).toMatch(/caught up: read 1m0s ago; the provider's log had nothing newer/)
    expect(rows[1]!.textContent).toMatch(/not read for 30m0s/)
  })
})
