import { vi } from 'vitest'

import type { FakeAnswer } from './fetch'

/** A handler gets the request's URL and parsed JSON body and gives an answer. */
export type FakeRoute = FakeAnswer | ((req: { url: URL; body: unknown }) => FakeAnswer)

/**
 * fakeApi replaces fetch with a fake server: routes are keyed "METHOD /path" (no query); the longest key that
 * the request's path equals wins. Unknown requests answer 404. The returned mock records the calls.
 */
export function fakeApi(routes: Record<string, FakeRoute>) {
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    init?.signal?.throwIfAborted()
    const url = new URL(String(input), 'http://localhost')
    const method = (init?.method ?? 'GET').toUpperCase()
    const route = routes[`${method} ${url.pathname}`]
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined
    const answer: FakeAnswer = route === undefined
      ? { status: 404, json: { title: 'Not Found', status: 404, detail: `no fake for ${method} ${url.pathname}` } }
      : typeof route === 'function'
        ? route({ url, body })
        : route
    if ('networkError' in answer) throw new TypeError('Failed to fetch')
    if (answer.status === 204) return new Response(null, { status: 204 })
    if ('json' in answer) {
      const type = answer.status >= 400 ? 'application/problem+json' : 'application/json'
      return new Response(JSON.stringify(answer.json), { status: answer.status, headers: { 'Content-Type': type } })
    }
    return new Response(answer.text, { status: answer.status, headers: { 'Content-Type': 'text/plain' } })
  })
  vi.stubGlobal('fetch', fetch)
  return fetch
}

/** The calls a fake received, as "METHOD /path?query". */
export function calls(fetch: ReturnType<typeof fakeApi>): string[] {
  return fetch.mock.calls.map(([input, init]) => `${(init?.method ?? 'GET').toUpperCase()} ${String(input)}`)
}

/** A page answer. */
export function page<T>(items: T[], total = items.length, limit = 50, offset = 0) {
  return { status: 200, json: { items, total, limit, offset } } as const
}
