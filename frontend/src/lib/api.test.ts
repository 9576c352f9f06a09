import { describe, expect, it } from 'vitest'

import { stubFetch } from '@/testing/fetch'

import { ApiError, asObject, get } from './api'

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
