import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

const change = (id: number, over: Record<string, unknown> = {}) => ({
  id, connector_id: 'okta-main', entity: 'grant', change: 'grant_added', observed_at: '2026-03-02T10:00:00Z',
  principal_kind: 'account', principal_external_id: 'u1', principal_name: 'Ann', account_id: 5, identity_id: 7,
  target_kind: 'resource', target_external_id: 'r1', target_name: 'Payroll', permission: 'read', via: 'direct',
  new_value: 'read', privileged: false, run_id: 12, ...over,
})

describe('Access changes', () => {
  it('lists changes newest first, highlights privileged ones and filters and pages through the URL', async () => {
    const { fetch, history } = renderApp('/access-changes?privileged=true&since=2026-03-01', {
      'GET /api/access-changes': ({ url }) => ({
        status: 200,
        json: url.searchParams.get('cursor')
          ? { items: [change(1)] }
          : { items: [change(3, { change: 'account_admin_granted', entity: 'account', target_external_id: '', target_name: '', old_value: 'false', new_value: 'true', privileged: true }),
              change(2, { via: 'group', via_external_id: 'g1', via_name: 'Engineering' })], next_cursor: '1772445600000000_2' },
      }),
    })
    const table = await screen.findByRole('table', { name: 'Access changes' })
    const admin = within(table).getByText('Admin granted').closest('tr')!
    expect(admin.textContent).toContain('privileged')
    expect(admin.textContent).toContain('false → true')
    expect(within(admin).getByRole('link', { name: 'Ann' }).getAttribute('href')).toBe('/identities/7')
    expect(within(table).getByText('via group Engineering')).toBeTruthy()
    const q = requested(fetch, 'GET', '/api/access-changes')[0]!.searchParams
    expect([q.get('privileged'), q.get('since'), q.get('limit')]).toEqual(['true', '2026-03-01T00:00:00Z', '50'])

    fireEvent.click(screen.getByRole('button', { name: 'Older' }))
    await waitFor(() => expect(new URLSearchParams(history.location.search).get('cursor')).toBe('1772445600000000_2'))
    await waitFor(() => expect(requested(fetch, 'GET', '/api/access-changes').at(-1)!.searchParams.get('cursor')).toBe('1772445600000000_2'))

    fireEvent.change(screen.getByLabelText('Change'), { target: { value: 'membership_removed' } })
    await waitFor(() => expect(new URLSearchParams(history.location.search).get('change')).toBe('membership_removed'))
    expect(new URLSearchParams(history.location.search).get('cursor')).toBeNull()
  })

  it('has an empty state', async () => {
    renderApp('/access-changes', { 'GET /api/access-changes': { status: 200, json: { items: [] } } })
    expect(await screen.findByText('No access changes match.')).toBeTruthy()
  })

  it("shows an identity's timeline and its access as of a date", async () => {
    const { fetch } = renderApp('/identities/7', {
      'GET /api/identities/7': { status: 200, json: {
        id: 7, kind: 'person', display_name: 'Ann Example', primary_email: 'ann@example.com', status: 'active', anchored: true,
        privileged: false, stale: false, leaver: false, accounts: 1, connectors: ['okta-main'], linked_accounts: [], events: [], findings: [],
      } },
      'GET /api/access-changes': { status: 200, json: { items: [change(4, { change: 'membership_removed', entity: 'membership', target_kind: 'group', target_external_id: 'g1', target_name: 'Engineering', old_value: 'member', new_value: '' })] } },
      'GET /api/identities/7/access-as-of': { status: 200, json: {
        identity_id: 7, at: '2026-03-01T23:59:59Z', history_since: '2026-01-01T00:00:00Z',
        accounts: [{ account_id: 5, connector_id: 'okta-main', external_id: 'u1', kind: 'user', display_name: 'Ann', email: 'ann@example.com', status: 'active', is_admin: false,
          access: [{ entity: 'membership', target_external_id: 'g1', target_name: 'Engineering', permission: 'member', via: 'direct', privileged: false },
            { entity: 'grant', target_external_id: 'r1', target_name: 'Payroll', permission: 'user', via: 'group', via_external_id: 'g1', via_name: 'Engineering', privileged: false }] }],
      } },
    })
    const timeline = await screen.findByRole('region', { name: 'Access timeline' })
    await waitFor(() => expect(timeline.textContent).toContain('Membership removed'))
    expect(timeline.textContent).toContain('Engineering')
    expect(requested(fetch, 'GET', '/api/access-changes')[0]!.searchParams.get('identity')).toBe('7')

    fireEvent.change(screen.getByLabelText('Date (end of day, UTC)'), { target: { value: '2026-03-01' } })
    const asOf = await screen.findByRole('region', { name: 'okta-main u1 as of 2026-03-01' })
    expect(asOf.textContent).toContain('grant Payroll: user')
    expect(asOf.textContent).toContain('via group Engineering')
    expect(requested(fetch, 'GET', '/api/identities/7/access-as-of')[0]!.searchParams.get('at')).toBe('2026-03-01T23:59:59Z')
  })

  it("counts the week's privileged changes on the overview", async () => {
    const empty = page([])
    renderApp('/', {
      'GET /api/health': { status: 200, json: { connectors: [], inbox: [], lanes: [], tail: [] } },
      'GET /api/findings': empty, 'GET /api/identities': empty, 'GET /api/connectors': empty, 'GET /api/discovery/apps': empty,
      'GET /api/discovery/hotspots': { status: 200, json: [] }, 'GET /api/events': empty,
      'GET /api/findings-trend': { status: 200, json: [] }, 'GET /api/posture': { status: 200, json: { scopes: [] } },
      'GET /api/access-changes/summary': { status: 200, json: { since: '2026-03-01T00:00:00Z', privileged_changes: 4, privileged_changes_url: '/api/access-changes?privileged=true' } },
    })
    const card = await screen.findByRole('link', { name: /Privileged changes this week/ })
    await waitFor(() => expect(card.textContent).toContain('4'))
    expect(card.getAttribute('href')).toBe('/access-changes?privileged=true')
  })
})
