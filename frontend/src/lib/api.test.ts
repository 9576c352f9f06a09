import { describe, expect, it } from 'vitest'

import { calls, fakeApi } from '@/testing/fake-api'
import { stubFetch } from '@/testing/fetch'

import { ApiError, ApiProblem, asObject, get, request } from './api'
import { getRefreshToken, getToken, setToken } from './token'

describe('get', () => {
  it('decodes a 2xx JSON body', async () => {
    stubFetch({ status: 200, json: { n: 1 } })
    await expect(get('/x', (b) => asObject(b)['n'])).resolves.toBe(1)
  })

  it.each([
    { name: 'unaccepted status', give: { status: 503, json: {} }, want: 503 },
    { name: 'no response', give: { networkError: true } as const, want: 0 },
  ])('rejects with an ApiError carrying the status: $name', async ({ give, want }) => {
    stubFetch(give)
    const err: unknown = await get('/x', asObject).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(want)
  })

  it('reads the body of an accepted non-2xx status', async () => {
    stubFetch({ status: 503, json: { why: 'down' } })
    await expect(get('/x', asObject, { acceptStatus: [503] })).resolves.toEqual({ why: 'down' })
  })

  it('passes a cancellation through as it is, not as an ApiError', async () => {
    const controller = new AbortController()
    const reason = new DOMException('cancelled', 'AbortError')
    controller.abort(reason)
    stubFetch({ networkError: true })
    await expect(get('/x', asObject, { signal: controller.signal })).rejects.toBe(reason)
  })
})

describe('request with an expired access token', () => {
  const me = { subject: 'local:1', email: 'a@example.com', actor: 'sub:local:1 a@example.com', role: 'admin' }
  const authOf = (fetch: ReturnType<typeof fakeApi>, path: string) =>
    fetch.mock.calls
      .filter(([u]) => String(u) === path)
      .map(([, init]) => (init?.headers as Record<string, string> | undefined)?.['Authorization'])

  it('refreshes the session once and repeats the call with the new token', async () => {
    setToken('old-access', 'refresh-1')
    const fetch = fakeApi({
      'GET /api/me': () => (getToken() === 'new-access' ? { status: 200, json: me } : { status: 401, json: { status: 401 } }),
      'POST /auth/refresh': ({ body }) =>
        (body as { refresh_token: string }).refresh_token === 'refresh-1'
          ? { status: 200, json: { access_token: 'new-access', refresh_token: 'refresh-2', token_type: 'Bearer' } }
          : { status: 401, json: { status: 401 } },
    })
    await expect(request('get', '/api/me')).resolves.toEqual(me)
    expect(authOf(fetch, '/api/me')).toEqual(['Bearer old-access', 'Bearer new-access'])
    expect(getToken()).toBe('new-access')
    expect(getRefreshToken()).toBe('refresh-2')
    expect(sessionStorage.getItem('open-sspm.refresh-token')).toBe('refresh-2')
  })

  it('shares one refresh between calls that meet the expired token together (a refresh token works once)', async () => {
    setToken('old-access', 'refresh-1')
    const fetch = fakeApi({
      'GET /api/me': () => (getToken() === 'new-access' ? { status: 200, json: me } : { status: 401, json: { status: 401 } }),
      'POST /auth/refresh': { status: 200, json: { access_token: 'new-access', refresh_token: 'refresh-2', token_type: 'Bearer' } },
    })
    await Promise.all([request('get', '/api/me'), request('get', '/api/me'), request('get', '/api/me')])
    expect(calls(fetch).filter((c) => c === 'POST /auth/refresh')).toHaveLength(1)
  })

  it('ends the session when the refresh is refused', async () => {
    setToken('old-access', 'used-refresh')
    const fetch = fakeApi({
      'GET /api/me': { status: 401, json: { status: 401, detail: 'invalid or expired token' } },
      'POST /auth/refresh': { status: 401, json: { status: 401, detail: 'the session is over; sign in again' } },
    })
    const err: unknown = await request('get', '/api/me').catch((e: unknown) => e)
    expect((err as ApiProblem).status).toBe(401)
    expect(getToken()).toBeNull()
    expect(getRefreshToken()).toBeNull()
    expect(calls(fetch)).toEqual(['GET /api/me', 'POST /auth/refresh'])
  })

  it('does not refresh without a refresh token, nor for the sign-in itself', async () => {
    setToken('old-access')
    const fetch = fakeApi({ 'GET /api/me': { status: 401, json: { status: 401 } }, 'POST /auth/login': { status: 401, json: { status: 401 } } })
    await expect(request('get', '/api/me')).rejects.toBeInstanceOf(ApiProblem)
    setToken('old-access', 'refresh-1')
    await expect(request('post', '/auth/login', { body: { email: 'a@example.com', password: 'x' } })).rejects.toBeInstanceOf(ApiProblem)
    expect(calls(fetch)).toEqual(['GET /api/me', 'POST /auth/login'])
  })
})
