import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested, viewerMe } from '@/testing/app'

const schema = {
  type: 'object',
  required: ['org_url', 'auth'],
  properties: {
    org_url: { type: 'string', format: 'uri', title: 'Org URL', description: 'https://{org}.okta.com' },
    auth: { type: 'string', enum: ['api_token', 'oauth'], default: 'oauth', title: 'Authentication', description: 'How to sign in.' },
    factor_budget: { type: 'integer', minimum: 0, default: 2000, title: 'Factor reads per run', description: 'Requests per run.' },
    scopes: { type: 'array', items: { type: 'string' }, title: 'OAuth scopes', default: ['okta.users.read'] },
  },
}
const kinds = { status: 200, json: [{ kind: 'okta', authoritative: true, inventory: true, push: true, push_registration: true, streams: true, scopes: ['okta.users.read', 'okta.logs.read'], config_schema: schema }] }
const connector = {
  id: 'okta-main', name: 'Okta main', kind: 'okta', enabled: true, discovery_enabled: true, authoritative: true, push: true,
  config: { org_url: 'https://acme.okta.com', auth: 'api_token' }, intervals: {}, has_secret: true, secret_age_days: 120,
  secret_stale: true, secret_updated_at: '2025-01-01T00:00:00Z', created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z',
}

describe('Settings → Connectors', () => {
  it('lists connectors with their secret state, paged and sorted on the server', async () => {
    const { fetch } = renderApp('/settings/connectors', { 'GET /api/connectors': page([connector], 51) })
    const table = await screen.findByRole('table', { name: 'Connectors' })
    const row = within(table).getByRole('link', { name: 'okta-main' }).closest('tr')!
    expect(row.textContent).toContain('Okta main')
    expect(row.textContent).toMatch(/set.*last changed 120 days ago.*stale, rotate it/)
    expect(screen.getByText('1–50 of 51')).toBeTruthy()
    fireEvent.click(within(table).getByRole('button', { name: /Name/ }))
    await waitFor(() => expect(requested(fetch, 'GET', '/api/connectors').at(-1)?.searchParams.get('sort')).toBe('name'))
  })

  it('disables a connector from the list', async () => {
    const { fetch } = renderApp('/settings/connectors', {
      'GET /api/connectors': page([connector]),
      'PATCH /api/connectors/okta-main': { status: 200, json: { ...connector, enabled: false } },
    })
    fireEvent.click(await screen.findByRole('button', { name: 'Disable okta-main' }))
    await waitFor(() => expect(requested(fetch, 'PATCH', '/api/connectors/okta-main')).toHaveLength(1))
    const patch = fetch.mock.calls.find(([, i]) => i?.method === 'PATCH')
    expect(JSON.parse(String(patch?.[1]?.body))).toEqual({ enabled: false })
  })

  it('generates the new-connector form from the kind schema, lists the scopes, tests and saves', async () => {
    const { fetch, history } = renderApp('/settings/connectors/new?kind=okta', {
      'GET /api/kinds': kinds,
      'POST /api/connector-tests': { status: 200, json: { ok: true, message: 'read 1 page of users', rows: 3, duration_ms: 40, stage: 'users' } },
      'POST /api/connectors': ({ body }) => ({ status: 201, json: { ...connector, ...(body as object), has_secret: true, secret_age_days: 0, secret_stale: false } }),
      'GET /api/connectors/okta-main': { status: 200, json: { ...connector, secret_age_days: 0, secret_stale: false } },
    })
    const org = await screen.findByLabelText('Org URL (required)')
    expect(screen.getByText('https://{org}.okta.com')).toBeTruthy()
    expect((screen.getByLabelText('Authentication (required)') as HTMLSelectElement).value).toBe('oauth')
    expect((screen.getByLabelText('Factor reads per run') as HTMLInputElement).value).toBe('2000')
    const scopes = screen.getByRole('heading', { name: 'Read-only scopes to grant' }).parentElement!
    expect(within(scopes).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['okta.users.read', 'okta.logs.read'])
    expect(screen.getByRole('link', { name: 'okta connector documentation' }).getAttribute('href'))
      .toBe('https://github.com/open-sspm/open-sspm/blob/main/docs/connectors/okta.md')

    fireEvent.change(screen.getByLabelText('ID'), { target: { value: 'okta-main' } })
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Okta main' } })
    fireEvent.change(org, { target: { value: 'https://acme.okta.com' } })
    fireEvent.change(screen.getByLabelText('Secret'), { target: { value: 'SSWS-very-secret' } })
    fireEvent.click(screen.getByRole('button', { name: 'Test connection' }))
    expect((await screen.findByText('Connection works.')).parentElement?.textContent).toContain('read 1 page of users')

    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(history.location.pathname).toBe('/settings/connectors/okta-main'))
    const post = fetch.mock.calls.find(([u, i]) => String(u) === '/api/connectors' && i?.method === 'POST')
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({
      kind: 'okta', id: 'okta-main', name: 'Okta main', enabled: true, discovery_enabled: false, authoritative: true,
      config: { org_url: 'https://acme.okta.com', auth: 'oauth', factor_budget: 2000, scopes: ['okta.users.read'] },
      secret: 'SSWS-very-secret',
    })
    // The saved secret is never shown back.
    await screen.findByRole('heading', { name: 'Connector okta-main' })
    await screen.findByLabelText('New secret')
    expect(document.body.textContent).not.toContain('SSWS-very-secret')
    expect((screen.getByLabelText('New secret') as HTMLTextAreaElement).value).toBe('')
  })

  it('edits a connector: secret write-only and flagged when stale, webhook with the hooks register command', async () => {
    const { fetch } = renderApp('/settings/connectors/okta-main', {
      'GET /api/kinds': kinds,
      'GET /api/connectors/okta-main': { status: 200, json: connector },
      'PATCH /api/connectors/okta-main': ({ body }) => ({ status: 200, json: { ...connector, ...(body as object) } }),
      'GET /api/connectors/okta-main/webhook': { status: 200, json: { kind: 'okta', path: '/hooks/okta/okta-main', secret: 'hook-secret' } },
      'POST /api/connectors/okta-main/sync': { status: 202, json: { connector_id: 'okta-main', lane: 'discovery' } },
    })
    const credential = (await screen.findByRole('group', { name: 'Credential' })).textContent
    expect(credential).toMatch(/Secret: set last changed 120 days ago — stale, rotate it/)
    expect((screen.getByLabelText('Org URL (required)') as HTMLInputElement).value).toBe('https://acme.okta.com')

    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Okta (prod)' } })
    fireEvent.change(screen.getByLabelText('New secret'), { target: { value: 'rotated' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await screen.findByText('Saved.')
    // The new secret goes with the settings, in one request (a new org URL host needs it).
    expect(JSON.parse(String(fetch.mock.calls.find(([, i]) => i?.method === 'PATCH')?.[1]?.body))).toMatchObject({ name: 'Okta (prod)', secret: 'rotated' })
    expect(fetch.mock.calls.find(([, i]) => i?.method === 'PUT')).toBeUndefined()

    fireEvent.click(screen.getByRole('button', { name: 'Trigger discovery sync' }))
    expect(await screen.findByText('Started discovery sync.')).toBeTruthy()

    // Okta's hook is registered through its API: the page offers it (nothing registered yet).
    expect(within(screen.getByRole('region', { name: 'Push hook' })).getByText(/Not registered/)).toBeTruthy()
    expect(requested(fetch, 'GET', '/api/connectors/okta-main/webhook')).toHaveLength(0)
    fireEvent.click(screen.getByRole('button', { name: 'Show webhook URL and secret' }))
    expect(await screen.findByText('hook-secret')).toBeTruthy()
    expect(screen.getByText(/open-sspm hooks register --connector okta-main --url http:\/\/[^/\s]+$/)).toBeTruthy()
  })

  it('shows viewers the settings read-only, without secret input, actions or webhook', async () => {
    renderApp('/settings/connectors/okta-main', {
      'GET /api/me': viewerMe,
      'GET /api/kinds': kinds,
      'GET /api/connectors/okta-main': { status: 200, json: connector },
    })
    await screen.findByLabelText('Org URL (required)')
    await screen.findByText('viewer@example.com')
    expect(screen.queryByLabelText('New secret')).toBeNull()
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull()
    expect(screen.queryByRole('button', { name: /Trigger/ })).toBeNull()
    expect(screen.queryByRole('button', { name: /webhook/ })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Delete connector' })).toBeNull()
  })
})
