import { fireEvent, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { getRefreshToken, getToken } from '@/lib/token'
import { page } from '@/testing/fake-api'
import { renderApp, requested, viewerMe } from '@/testing/app'

const empty = page([])
const overviewApi = {
  'GET /api/health': { status: 200, json: { connectors: [], inbox: [], lanes: [], tail: [] } },
  'GET /api/findings': empty,
  'GET /api/identities': empty,
  'GET /api/connectors': empty,
  'GET /api/discovery/apps': empty,
  'GET /api/discovery/hotspots': { status: 200, json: [] },
  'GET /api/events': empty,
  'GET /api/posture': { status: 200, json: { scopes: [] } },
  'GET /api/findings-trend': { status: 200, json: [] },
}

describe('App', () => {
  it('sends a visitor without a session to the sign-in page, keeping where they were going', async () => {
    const { history } = renderApp('/identities?stale=true', {}, null)
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in to Open-SSPM' })).toBeTruthy()
    expect(history.location.pathname).toBe('/sign-in')
    expect(new URLSearchParams(history.location.search).get('redirect')).toBe('/identities?stale=true')
  })

  it('signs in, keeps the token and goes to the overview', async () => {
    const { fetch, history } = renderApp('/sign-in', {
      ...overviewApi,
      'POST /auth/login': ({ body }) => ({
        status: 200,
        json: { access_token: 'tok-1', token_type: 'Bearer', expires_in: 600, expires_at: '2030-01-01T00:00:00Z', refresh_token: 'ref-1', email: (body as { email: string }).email, role: 'admin' },
      }),
    }, null)
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'admin@example.com' } })
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'secret-pw' } })
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }))

    expect(await screen.findByRole('heading', { level: 1, name: 'Overview' })).toBeTruthy()
    expect(history.location.pathname).toBe('/')
    expect(getToken()).toBe('tok-1')
    expect(sessionStorage.getItem('open-sspm.token')).toBe('tok-1')
    expect(getRefreshToken()).toBe('ref-1')
    const me = fetch.mock.calls.find(([u]) => String(u) === '/api/me')
    expect((me?.[1]?.headers as Record<string, string>)['Authorization']).toBe('Bearer tok-1')
    await screen.findByText('admin@example.com')
  })

  it('says so when the password is wrong (401), and keeps no token', async () => {
    renderApp('/sign-in', { 'POST /auth/login': { status: 401, json: { title: 'Unauthorized', status: 401, detail: 'wrong email or password' } } }, null)
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'a@example.com' } })
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } })
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong email or password.')
    expect(getToken()).toBeNull()
  })

  it('returns to the sign-in page when the API answers 401', async () => {
    const { history } = renderApp('/', { ...overviewApi, 'GET /api/me': { status: 401, json: { title: 'Unauthorized', status: 401 } } })
    await waitFor(() => expect(history.location.pathname).toBe('/sign-in'))
    expect(getToken()).toBeNull()
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in to Open-SSPM' })).toBeTruthy()
  })

  it('signs out: the server ends the session, and the tokens are forgotten', async () => {
    const { fetch, history } = renderApp('/', { ...overviewApi, 'POST /auth/logout': { status: 204, json: null } })
    fireEvent.click(await screen.findByRole('button', { name: 'Sign out' }))
    await waitFor(() => expect(history.location.pathname).toBe('/sign-in'))
    expect(getToken()).toBeNull()
    expect(getRefreshToken()).toBeNull()
    const logout = fetch.mock.calls.find(([u, init]) => String(u) === '/auth/logout' && init?.method === 'POST')
    expect((logout?.[1]?.headers as Record<string, string>)['Authorization']).toBe('Bearer test-token')
  })

  it('shows the overview: open findings by severity, counts and health', async () => {
    const { fetch } = renderApp('/', {
      ...overviewApi,
      'GET /api/findings': ({ url }) => page([], url.searchParams.get('severity') === 'high' ? 7 : 0),
      'GET /api/identities': page([], 1234),
    })
    expect(await screen.findByRole('heading', { level: 1, name: 'Overview' })).toBeTruthy()
    const findings = await screen.findByRole('region', { name: 'Open findings by severity' })
    await waitFor(() => expect(findings.textContent).toContain('high 7'))
    await waitFor(() => expect(screen.getByRole('region', { name: 'Inventory' }).textContent).toContain('1234Identities'))
    expect(requested(fetch, 'GET', '/api/findings').every((u) => u.searchParams.get('status') === 'open')).toBe(true)
    expect(await screen.findByRole('region', { name: 'System health' })).toBeTruthy()
    const nav = screen.getByRole('navigation', { name: 'Main' })
    expect(Array.from(nav.querySelectorAll('a')).map((a) => a.textContent)).toEqual([
      'Overview', 'Identities', 'Resources', 'Discovery', 'Access changes', 'Events', 'Posture', 'Findings', 'Connectors', 'Connector health', 'Audit log',
    ])
  })

  it('shows not found for an unknown path, inside the shell', async () => {
    renderApp('/nowhere', {})
    expect(await screen.findByRole('heading', { level: 1, name: 'Page not found' })).toBeTruthy()
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy()
  })

  it('hides mutation controls from viewers', async () => {
    renderApp('/settings/connectors', { 'GET /api/me': viewerMe, 'GET /api/connectors': page([]) })
    await screen.findByText(/No connectors yet/)
    await screen.findByText('viewer@example.com')
    expect(screen.queryByRole('link', { name: 'Add connector' })).toBeNull()
  })
})
