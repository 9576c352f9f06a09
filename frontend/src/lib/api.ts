/**
 * The typed HTTP client for the Open-SSPM server. It only speaks HTTP: no toasts, redirects or other UI side
 * effects. Every failure is an ApiError, and callers decide what it means to the user.
 */

/** Turns a parsed JSON body into a typed value, or throws when the body does not have the expected shape. */
export type Decoder<T> = (body: unknown) => T

export class ApiError extends Error {
  override readonly name = 'ApiError'
  /** The HTTP status, or 0 when no response arrived. */
  readonly status: number

  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, options)
    this.status = status
  }
}

export interface GetOptions {
  signal?: AbortSignal | undefined
  /** Non-2xx statuses whose body is still an answer (GET /healthz says "unavailable" with a 503). */
  acceptStatus?: readonly number[]
}

/**
 * get fetches path and decodes its JSON body. An aborted request rejects with the abort reason, as fetch does,
 * so that query libraries can recognise a cancellation.
 */
export async function get<T>(path: string, decode: Decoder<T>, options: GetOptions = {}): Promise<T> {
  const { signal, acceptStatus = [] } = options
  let res: Response
  try {
    res = await fetch(path, { headers: { Accept: 'application/json' }, signal: signal ?? null })
  } catch (err) {
    if (signal?.aborted) throw err
    throw new ApiError(`GET ${path}: server unreachable`, 0, { cause: err })
  }
  if (!res.ok && !acceptStatus.includes(res.status)) {
    throw new ApiError(`GET ${path}: ${`${res.status} ${res.statusText}`.trim()}`, res.status)
  }
  let body: unknown
  try {
    body = await res.json()
  } catch (err) {
    throw new ApiError(`GET ${path}: response is not JSON`, res.status, { cause: err })
  }
  try {
    return decode(body)
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new ApiError(`GET ${path}: unexpected response: ${why}`, res.status, { cause: err })
  }
}

/** Returns body as a plain object, or throws. Decoders start here. */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TypeError('body is not an object')
  }
  return body as Record<string, unknown>
}
