import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

const alice = {
  id: 7, display_name: 'Alice Example', primary_email: 'alice@example.com', kind: 'person', status: 'active', accounts: 3,
  anchored: true, privileged: true, stale: false, leaver: false, mfa: true, last_seen_at: '2026-01-01T00:00:00Z',
}

describe('Identities', () => {
  it('pushes the search, filters, sort and page into the URL and asks the server for them', async () => {
    const { fetch, history } = renderApp('/identities', {
      'GET /api/identities': page([alice], 120),
      'GET /api/connectors': page([{ id: 'okta-main', name: 'Okta main' }]),
    })
    await screen.findByRole('link', { name: 'Alice Example' })

    fireEvent.change(screen.getByLabelText('Search name or email'), { target: { value: 'alice' } })
    fireEvent.keyDown(screen.getByLabelText('Search name or email'), { key: 'Enter' })
    await waitFor(() => expect(new URLSearchParams(history.location.search).get('q')).toBe('alice'))
    fireEvent.change(screen.getByLabelText('Privileged'), { target: { value: 'true' } })
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'person' } })
    await waitFor(() => expect(screen.getByRole('option', { name: 'Okta main' })).toBeTruthy())
    fireEvent.change(screen.getByLabelText('Source'), { target: { value: 'okta-main' } })
    fireEvent.change(screen.getByLabelText('Managed'), { target: { value: 'false' } })
    fireEvent.click(within(screen.getByRole('table', { name: 'Identities' })).getByRole('button', { name: /Last seen/ }))
    fireEvent.click(screen.getByRole('button', { name: 'Next' }))

    await waitFor(() => {
      const s = new URLSearchParams(history.location.search)
      expect(Object.fromEntries(s)).toEqual({ q: 'alice', privileged: 'true', kind: 'person', source: 'okta-main', managed: 'false', sort: 'last_seen_at', page: '2' })
    })
    await waitFor(() => {
      const last = requested(fetch, 'GET', '/api/identities').at(-1)!
      expect(Object.fromEntries(last.searchParams)).toEqual({
        q: 'alice', privileged: 'true', kind: 'person', connector: 'okta-main', anchored: 'false', sort: 'last_seen_at', limit: '50', offset: '50',
      })
    })
  })

  it('reads the filters from a shared URL', async () => {
    const { fetch } = renderApp('/identities?leaver=true&stale=false&page=3', { 'GET /api/identities': page([], 0), 'GET /api/connectors': page([]) })
    await screen.findByText('No identities match.')
    expect((screen.getByLabelText('Leaver') as HTMLSelectElement).value).toBe('true')
    const q = requested(fetch, 'GET', '/api/identities')[0]!.searchParams
    expect([q.get('leaver'), q.get('stale'), q.get('offset')]).toEqual(['true', 'false', '100'])
  })

  it('shows an identity with its access in every source, events and findings', async () => {
    renderApp('/identities/7', {
      'GET /api/identities/7': {
        status: 200,
        json: {
          ...alice,
          linked_accounts: [{
            id: 1, connector_id: 'github-acme', connector_kind: 'github', connector_name: 'GitHub Acme', authoritative: false,
            display_name: 'Alice', email: 'alice@example.com', username: 'alice-gh', external_id: '42', kind: 'user', status: 'active',
            active: true, expired: false, is_admin: true, link_reason: 'auto_email',
            groups: [{ external_id: 't1', kind: 'team', name: 'platform' }],
            grants: [{ resource_name: 'acme/infra', resource_kind: 'repository', resource_external_id: 'r1', permission: 'admin', via: 'team', principal_kind: 'group', principal_name: 'platform', principal_external_id: 't1' }],
          }],
          events: [{ id: 3, connector_id: 'okta-main', type: 'user.session.start', occurred_at: '2026-01-01T00:00:00Z', received_at: '2026-01-01T00:00:00Z', provider_event_id: 'e', source: 'tail', outcome: 'SUCCESS' }],
          findings: [{ id: 9, title: 'Admin without MFA', severity: 'high', status: 'open', kind: 'identity', dedupe_key: 'k', first_seen_at: '2026-01-01T00:00:00Z', last_seen_at: '2026-01-01T00:00:00Z' }],
        },
      },
    })
    expect(await screen.findByRole('heading', { level: 1, name: 'Alice Example' })).toBeTruthy()
    const account = screen.getByRole('region', { name: 'GitHub Acme (github): alice-gh' })
    expect(within(account).getByText('platform')).toBeTruthy()
    expect(within(account).getByRole('table').textContent).toMatch(/acme\/infrarepositoryadminteam: platform/)
    expect(screen.getByRole('region', { name: 'Recent events' }).textContent).toContain('user.session.start')
    expect(screen.getByRole('region', { name: 'Findings' }).textContent).toContain('Admin without MFA')
  })
})
