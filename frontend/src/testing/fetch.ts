import { vi } from 'vitest'

/** A canned answer for a stubbed fetch: a JSON body with a status, a non-JSON body, or a network failure. */
export type FakeAnswer = { status: number; json: unknown } | { status: number; text: string } | { networkError: true }

/** stubFetch replaces the global fetch with one that gives the answers in turn, repeating the last. */
export function stubFetch(...answers: FakeAnswer[]) {
  let call = 0
  const fetch = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    // Like fetch, an aborted request rejects with the signal's reason.
    init?.signal?.throwIfAborted()
    const answer = answers[Math.min(call++, answers.length - 1)]
    if (!answer || 'networkError' in answer) throw new TypeError('Failed to fetch')
    if ('json' in answer) {
      return new Response(JSON.stringify(answer.json), {
        status: answer.status,
        headers: { 'Content-Type': 'application/json' },
      })
    }
    return new Response(answer.text, { status: answer.status, headers: { 'Content-Type': 'text/plain' } })
  })
  vi.stubGlobal('fetch', fetch)
  return fetch
}
