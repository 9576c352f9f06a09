import { screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

const empty = page([])
const base = {
  'GET /api/health': { status: 200, json: { connectors: [], inbox: [], lanes: [], tail: [] } },
  'GET /api/findings': empty,
  'GET /api/identities': empty,
  'GET /api/discovery/apps': empty,
  'GET /api/discovery/hotspots': { status: 200, json: [] },
  'GET /api/events': empty,
}
const run = (id: number, duration_ms: number, status: string) => ({
  id, connector_id: 'okta-main', lane: 'full', status, duration_ms, attempts: 1, counts: {}, stages_done: [],
  started_at: `2026-01-0${id}T00:00:00Z`, progress: { done: 0, total: 0 },
})

describe('Overview charts', () => {
  it('draws findings over time, posture scores and sync durations', async () => {
    const { fetch } = renderApp('/', {
      ...base,
      'GET /api/connectors': page([{ id: 'okta-main', name: 'Okta main', kind: 'okta' }]),
      'GET /api/connectors/okta-main/runs': page([run(3, 90_000, 'failed'), run(2, 60_000, 'succeeded'), run(1, 30_000, 'succeeded')]),
      'GET /api/findings-trend': { status: 200, json: [
        { day: '2026-01-01', opened: 3, resolved: 0, unresolved: 3 },
        { day: '2026-01-02', opened: 1, resolved: 2, unresolved: 2 },
      ] },
      'GET /api/posture': { status: 200, json: { scopes: [{ scope_kind: 'global', rulesets: [{ key: 'norm.hygiene', passed: 9, evaluated: 10, failed: 1, other: 0, results: [] }] }] } },
    })
    const trend = await screen.findByRole('region', { name: 'Findings over time' })
    expect((await within(trend).findByRole('img')).getAttribute('aria-label')).toBe(
      'Over the last 2 days: 4 findings opened, 2 resolved; 2 unresolved today.')
    expect(requested(fetch, 'GET', '/api/findings-trend')[0]?.searchParams.get('days')).toBe('30')

    const posture = screen.getByRole('region', { name: 'Posture score per ruleset' })
    await waitFor(() => expect(posture.textContent).toContain('Global: norm.hygiene'))
    expect(posture.textContent).toContain('90%')
    expect(posture.textContent).toContain('1 failing')

    const durations = screen.getByRole('region', { name: 'Sync durations' })
    const chart = await within(durations).findByRole('img')
    expect(chart.getAttribute('aria-label')).toBe('Okta main: 3 full syncs, latest 1 min 30 s, longest 1 min 30 s')
    // Oldest left; failed runs drawn in red.
    const bars = chart.querySelectorAll('rect')
    expect(Array.from(bars).map((b) => b.getAttribute('fill'))).toEqual(['var(--good)', 'var(--good)', 'var(--bad)'])
    expect(requested(fetch, 'GET', '/api/connectors/okta-main/runs')[0]?.searchParams.get('lane')).toBe('full')
  })

  it('shows empty states without data', async () => {
    renderApp('/', {
      ...base,
      'GET /api/connectors': empty,
      'GET /api/findings-trend': { status: 200, json: [] },
      'GET /api/posture': { status: 200, json: { scopes: [] } },
    })
    expect(await within(await screen.findByRole('region', { name: 'Posture score per ruleset' })).findByText('No rule results yet.')).toBeTruthy()
    expect(await within(screen.getByRole('region', { name: 'Sync durations' })).findByText('No connectors yet.')).toBeTruthy()
  })
})
