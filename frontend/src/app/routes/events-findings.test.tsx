import { fireEvent, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

describe('Events', () => {
  it('lists events newest first and filters by type through the URL', async () => {
    const { fetch, history } = renderApp('/events', {
      'GET /api/events': page([{ id: 1, connector_id: 'okta-main', type: 'user.session.start', occurred_at: '2026-01-01T00:00:00Z', received_at: '2026-01-01T00:00:00Z', provider_event_id: 'p', source: 'tail', actor_display: 'Alice', outcome: 'FAILURE' }]),
    })
    expect(await screen.findByText('user.session.start')).toBeTruthy()
    expect(screen.getByText('FAILURE')).toBeTruthy()
    expect(requested(fetch, 'GET', '/api/events')[0]?.searchParams.get('sort')).toBe('-occurred_at')
    fireEvent.change(screen.getByLabelText('Type (or prefix)'), { target: { value: 'user.session' } })
    fireEvent.blur(screen.getByLabelText('Type (or prefix)'))
    await waitFor(() => expect(new URLSearchParams(history.location.search).get('type')).toBe('user.session'))
    await waitFor(() => expect(requested(fetch, 'GET', '/api/events').at(-1)?.searchParams.get('type')).toBe('user.session'))
  })
})

describe('Findings', () => {
  it('reads severity and status from the URL and lists the page', async () => {
    const { fetch } = renderApp('/findings?status=open&severity=high', {
      'GET /api/findings': page([{ id: 9, title: 'Admin without MFA', severity: 'high', status: 'open', kind: 'identity', dedupe_key: 'k', rule_key: 'okta.mfa', first_seen_at: '2026-01-01T00:00:00Z', last_seen_at: '2026-01-01T00:00:00Z' }]),
    })
    expect(await screen.findByText('Admin without MFA')).toBeTruthy()
    expect((screen.getByLabelText('Severity') as HTMLSelectElement).value).toBe('high')
    const q = requested(fetch, 'GET', '/api/findings')[0]!.searchParams
    expect([q.get('status'), q.get('severity'), q.get('sort')]).toEqual(['open', 'high', '-severity'])
  })

  it('shows an error state when the API fails', async () => {
    renderApp('/findings', { 'GET /api/findings': { status: 500, json: { title: 'Internal Server Error', status: 500, detail: 'database unavailable' } } })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toMatch(/Could not load findings\. database unavailable/)
  })
})
