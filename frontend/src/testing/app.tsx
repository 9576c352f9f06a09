import { createMemoryHistory } from '@tanstack/react-router'
import { render } from '@testing-library/react'

import { App } from '@/app/app'
import { setToken } from '@/lib/token'

import { fakeApi, type FakeRoute } from './fake-api'
import { testQueryClient } from './render'

export const adminMe = { status: 200, json: { subject: 'u1', email: 'admin@example.com', actor: 'admin@example.com', role: 'admin' } } as const
export const viewerMe = { status: 200, json: { subject: 'u2', email: 'viewer@example.com', actor: 'viewer@example.com', role: 'viewer' } } as const

/**
 * renderApp renders the whole app at path against a fake API. Signed in (as admin unless routes answer
 * GET /api/me otherwise) unless token is null. The history shows where the app navigated.
 */
export function renderApp(path: string, routes: Record<string, FakeRoute>, token: string | null = 'test-token') {
  setToken(token)
  const fetch = fakeApi({ 'GET /api/me': adminMe, 'GET /healthz': { status: 200, json: { status: 'ok', database: 'ok', schema_version: 1, schema_latest: 1 } }, ...routes })
  const history = createMemoryHistory({ initialEntries: [path] })
  const view = render(<App queryClient={testQueryClient()} history={history} />)
  return { fetch, history, ...view }
}

/** The request URLs fetch received for a path (with their query strings). */
export function requested(fetch: ReturnType<typeof fakeApi>, method: string, path: string): URL[] {
  return fetch.mock.calls
    .filter(([input, init]) => (init?.method ?? 'GET').toUpperCase() === method && new URL(String(input), 'http://localhost').pathname === path)
    .map(([input]) => new URL(String(input), 'http://localhost'))
}
