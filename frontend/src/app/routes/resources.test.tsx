import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

const repo = {
  id: 5, connector_id: 'gh', external_id: 'acme/api', kind: 'repository', name: 'acme/api', url: 'https://github.com/acme/api',
  first_seen_at: '2026-01-01T00:00:00Z', seen_at: '2026-01-02T00:00:00Z', expired: false, grants: 3,
}

describe('Resources', () => {
  it('lists resources, filters by kind through the URL and opens one', async () => {
    const { fetch, history } = renderApp('/resources?kind=repository', {
      'GET /api/resources': page([repo]),
      'GET /api/connectors': page([]),
      'GET /api/resources/5': { status: 200, json: repo },
      'GET /api/resources/5/access': page([]),
    })
    const table = await screen.findByRole('table', { name: 'Resources' })
    const q = requested(fetch, 'GET', '/api/resources')[0]!.searchParams
    expect([q.get('kind'), q.get('sort')]).toEqual(['repository', 'name'])
    expect((screen.getByLabelText('Kind') as HTMLSelectElement).value).toBe('repository')
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'app' } })
    await waitFor(() => expect(new URLSearchParams(history.location.search).get('kind')).toBe('app'))
    fireEvent.click(within(table).getByRole('link', { name: 'acme/api' }))
    await waitFor(() => expect(history.location.pathname).toBe('/resources/5'))
    expect(await screen.findByText('Nobody holds access that matches.')).toBeTruthy()
  })

  it('shows who holds access to a resource and how', async () => {
    const { fetch } = renderApp('/resources/5?via=team', {
      'GET /api/resources/5': { status: 200, json: repo },
      'GET /api/resources/5/access': page([
        { grant_id: 1, principal_kind: 'account', principal_external_id: 'ada', principal_name: 'Ada', principal_email: 'ada@acme.com', identity_id: 42, members: 0, permission: 'admin', via: 'direct' },
        { grant_id: 2, principal_kind: 'account', principal_external_id: 'bob', principal_name: 'Bob', members: 0, permission: 'write', via: 'team', via_name: 'Platform' },
      ]),
    })
    expect(await screen.findByRole('heading', { name: 'acme/api' })).toBeTruthy()
    const table = await screen.findByRole('table', { name: 'Who has access' })
    expect(within(table).getByRole('link', { name: 'Ada' }).getAttribute('href')).toBe('/identities/42')
    expect(within(table).getByText('Bob').closest('tr')!.textContent).toContain('team: Platform')
    expect(requested(fetch, 'GET', '/api/resources/5/access')[0]?.searchParams.get('via')).toBe('team')
  })

  it('shows a not-found error', async () => {
    renderApp('/resources/9', { 'GET /api/resources/9': { status: 404, json: { title: 'Not Found', status: 404, detail: 'no such resource' } } })
    expect((await screen.findByRole('alert')).textContent).toMatch(/Could not load the resource\. no such resource/)
  })
})
