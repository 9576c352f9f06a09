import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

const base = { attempts: 1, counts: {}, stages_done: [], unavailable: [], trigger: 'schedule', started_at: '2026-01-01T10:00:00Z' }
const failed = {
  ...base, id: 11, connector_id: 'okta-main', lane: 'full', status: 'failed', duration_ms: 4200, counts: { users: 120 },
  error_kind: 'auth', error_text: 'okta list users: 401 Unauthorized\nInvalid token provided (E0000011)', finished_at: '2026-01-01T10:00:04Z',
  progress: { pages: 2, rows: 120 },
}
const running = {
  ...base, id: 12, connector_id: 'github-acme', lane: 'full', status: 'running', duration_ms: 65_000, stage: 'repos',
  stages_done: ['members'], progress: { stage: 'repos', pages: 4, rows: 380 },
}
const health = {
  connectors: [
    { connector_id: 'okta-main', lane: 'full', consecutive_failures: 3, last_status: 'failed', last_run: failed, last_failure: failed },
    { connector_id: 'github-acme', lane: 'full', consecutive_failures: 0, last_status: 'running', last_run: running },
  ],
  lanes: [{ lane: 'full', running: 1, failing: 1, last_activity_at: '2026-01-01T10:00:04Z' }],
  inbox: [{ connector_id: 'okta-main', received: 4, processed: 100, failed: 1, dead: 2 }],
  tail: [{ connector_id: 'okta-main', stream: 'system-log', lag_seconds: 95, requests_per_minute: 1, last_error: 'okta logs: 429 Too Many Requests', updated_at: '2026-01-01T10:00:00Z' }],
  queue: { ready: 3, dead: 0 },
}

describe('Settings → Connector health', () => {
  it("shows a failed run's error in full and a running run's progress, lanes, inbox, tails and dead deliveries", async () => {
    const { fetch } = renderApp('/settings/health', {
      'GET /api/health': { status: 200, json: health },
      'GET /api/connectors': page([]),
      'GET /api/connectors/okta-main/runs': page([failed]),
      'GET /api/connectors/github-acme/runs': page([running]),
      'GET /api/inbox/dead': page([{ id: 5, attempts: 8, bytes: 100, connector_id: 'okta-main', enqueued_at: '2026-01-01T09:00:00Z', last_error: 'decode: unexpected EOF' }]),
      'POST /api/inbox/dead/5/replay': { status: 204, text: '' },
      'POST /api/sync': { status: 202, json: { started: [{ connector_id: 'okta-main', lane: 'full' }, { connector_id: 'github-acme', lane: 'full' }], skipped: [] } },
    })
    const okta = await screen.findByRole('region', { name: 'Connector okta-main' })
    await waitFor(() => expect(within(okta).getAllByText(/Invalid token provided \(E0000011\)/).length).toBeGreaterThan(0))
    const pre = within(okta).getAllByText(/okta list users: 401 Unauthorized/, { selector: 'pre' })[0]!
    expect(pre.textContent).toBe('okta list users: 401 Unauthorized\nInvalid token provided (E0000011)')
    await waitFor(() => expect(within(okta).getByRole('table', { name: 'Runs of okta-main' }).textContent).toMatch(/failed.*4\.2 s.*users 120/))

    const github = screen.getByRole('region', { name: 'Connector github-acme' })
    const bars = within(github).getAllByRole('progressbar', { name: 'github-acme full sync progress' })
    expect(bars[0]!.parentElement?.textContent).toMatch(/repos: 380 rows, 4 pages; 1 stage done — 1 min 5 s/)

    expect(screen.getByRole('table', { name: 'Inbox depth' }).textContent).toMatch(/okta-main41001/)
    expect(screen.getByRole('table', { name: 'Tail lag' }).textContent).toMatch(/system-log1 min 35 s.*429 Too Many Requests/)

    fireEvent.click(await screen.findByRole('button', { name: 'Replay delivery 5' }))
    await waitFor(() => expect(requested(fetch, 'POST', '/api/inbox/dead/5/replay')).toHaveLength(1))

    fireEvent.click(screen.getByRole('button', { name: 'Resync now' }))
    expect(await screen.findByText('Started 2 syncs.')).toBeTruthy()
  })
})
