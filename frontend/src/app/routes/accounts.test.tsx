import { fireEvent, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested, viewerMe } from '@/testing/app'

const bob = {
  id: 4, connector_id: 'github-acme', external_id: 'bob-gh', display_name: 'Bob', email: '', username: 'bob-gh', kind: 'user',
  status: 'active', active: true, expired: false, anchored: false, is_admin: false, first_seen_at: '2026-01-01T00:00:00Z',
}

describe('Accounts', () => {
  it('lists needs-anchor accounts with why, and links one to an identity found by name', async () => {
    const { fetch } = renderApp('/connectors/github-acme/accounts?view=needs-anchor', {
      'GET /api/connectors/github-acme/needs-anchor': page([{ ...bob, anchor_reason: 'no_email' }]),
      'GET /api/connectors/github-acme/accounts/bob-gh/suggestions': { status: 200, json: [] },
      'GET /api/identities': ({ url }) =>
        url.searchParams.get('q') === 'rob'
          ? page([{ id: 7, display_name: 'Robert Jones', primary_email: 'rob@example.com' }])
          : page([]),
      'PUT /api/connectors/github-acme/accounts/bob-gh/link': { status: 204, text: '' },
    })
    expect(await screen.findByRole('heading', { level: 1, name: 'Needs anchor: github-acme' })).toBeTruthy()
    expect(await screen.findByText('needs an anchor: no email')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Link bob-gh' }))
    fireEvent.change(await screen.findByLabelText('Find the identity to link bob-gh to'), { target: { value: 'rob' } })
    fireEvent.click(await screen.findByRole('button', { name: 'Link bob-gh to Robert Jones' }))
    await waitFor(() => expect(requested(fetch, 'PUT', '/api/connectors/github-acme/accounts/bob-gh/link')).toHaveLength(1))
    const put = fetch.mock.calls.find(([, i]) => i?.method === 'PUT')
    expect(JSON.parse(String(put?.[1]?.body))).toEqual({ identity_id: 7 })
    expect(requested(fetch, 'GET', '/api/connectors/github-acme/accounts')).toHaveLength(0)
  })

  it('says a guest needs an anchor because it is a guest', async () => {
    renderApp('/connectors/entra-acme/accounts?view=needs-anchor', {
      'GET /api/connectors/entra-acme/needs-anchor': page([
        { ...bob, connector_id: 'entra-acme', external_id: 'pat-guest', email: 'pat@partner.example', anchor_reason: 'guest' },
      ]),
    })
    expect(await screen.findByText("needs an anchor: a guest of the tenant (someone else's person): link it by hand")).toBeTruthy()
  })

  it('lists all accounts and unlinks one for good', async () => {
    const { fetch } = renderApp('/connectors/github-acme/accounts', {
      'GET /api/connectors/github-acme/accounts': page([{ ...bob, identity_id: 7, link_reason: 'auto_email' }]),
      'POST /api/connectors/github-acme/accounts/bob-gh/unlink': { status: 200, json: { ...bob, link_reason: 'manual' } },
    })
    expect(await screen.findByRole('link', { name: '#7' })).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Unlink bob-gh' }))
    await waitFor(() => expect(requested(fetch, 'POST', '/api/connectors/github-acme/accounts/bob-gh/unlink')).toHaveLength(1))
  })

  it('gives viewers no link actions', async () => {
    renderApp('/connectors/github-acme/accounts?view=needs-anchor', {
      'GET /api/me': viewerMe,
      'GET /api/connectors/github-acme/needs-anchor': page([bob]),
    })
    await screen.findByText('viewer@example.com')
    await screen.findByText('bob-gh', { selector: 'code' })
    expect(screen.queryByRole('button', { name: /Link/ })).toBeNull()
  })

  it('marks the selected view tab, also with a search or a sort', async () => {
    renderApp('/connectors/github-acme/accounts?view=needs-anchor&q=bo&sort=email', {
      'GET /api/connectors/github-acme/needs-anchor': page([bob]),
    })
    await screen.findByRole('heading', { level: 1, name: 'Needs anchor: github-acme' })
    const tabs = screen.getByRole('navigation', { name: 'Account views' })
    const current = [...tabs.querySelectorAll('a')].filter((a) => a.getAttribute('aria-current') === 'page').map((a) => a.textContent)
    expect(current).toEqual(['Needs anchor'])
  })

  it('marks "All accounts" on the list of all accounts with a search', async () => {
    renderApp('/connectors/github-acme/accounts?q=bo', { 'GET /api/connectors/github-acme/accounts': page([bob]) })
    await screen.findByRole('heading', { level: 1, name: 'Accounts: github-acme' })
    const tabs = screen.getByRole('navigation', { name: 'Account views' })
    const current = [...tabs.querySelectorAll('a')].filter((a) => a.getAttribute('aria-current') === 'page').map((a) => a.textContent)
    expect(current).toEqual(['All accounts'])
  })
})
