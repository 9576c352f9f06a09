/**
 * The typed HTTP client for the Open-SSPM server. It only speaks HTTP: no toasts, redirects or other UI side
 * effects. Every failure is an ApiError, and callers decide what it means to the user.
 */

import type { paths } from '@/api/schema'

import { getRefreshToken, getToken, setToken } from './token'

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

// ---- The typed client for the admin API (types generated from openapi.json into src/api/schema.d.ts). ----


export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** The operation at path P answering method M. */
export type Operation<P extends keyof paths, M extends Method> = M extends keyof paths[P] ? paths[P][M] : never

type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? Q : undefined
type PathOf<O> = O extends { parameters: { path: infer X } } ? X : undefined
type BodyOf<O> = O extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : O extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B | undefined
    : undefined
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : undefined

/** The JSON body of an operation's success answer (200, 201 or 202); undefined for 204. */
export type Answer<O> = O extends { responses: infer R }
  ? { [K in keyof R]: K extends 200 | 201 | 202 ? JsonOf<R[K]> : K extends 204 ? undefined : never }[keyof R]
  : never

export interface RequestParams<O> {
  path?: PathOf<O>
  query?: QueryOf<O>
  body?: BodyOf<O>
  signal?: AbortSignal | undefined
}

/** A problem+json body, as the API answers every error. */
export interface Problem {
  title?: string
  detail?: string
  status?: number
  errors?: { location?: string; message?: string }[] | null
}

/** ApiProblem is an ApiError with the server's problem+json body. */
export class ApiProblem extends ApiError {
  readonly problem: Problem
  constructor(message: string, status: number, problem: Problem) {
    super(message, status)
    this.problem = problem
  }
}

/** Fills {name} placeholders in path with the percent-encoded values. */
export function fillPath(path: string, params: Record<string, unknown> | undefined): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params?.[name]
    if (v === undefined || v === null) throw new TypeError(`path parameter ${name} is missing`)
    return encodeURIComponent(String(v))
  })
}

/** Encodes query values; undefined, null and '' are left out. */
export function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return ''
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

function problemMessage(p: Problem, fallback: string): string {
  const parts = [p.detail || p.title || fallback]
  for (const e of p.errors ?? []) {
    if (e.message) parts.push(e.location ? `${e.location}: ${e.message}` : e.message)
  }
  return parts.join('; ')
}

/**
 * request calls an admin API operation with the signed-in user's token. When the access token has expired (a 401)
 * and a refresh token is kept, it refreshes the session once and repeats the call with the new token, so the
 * caller never sees the short token lifetime; a refresh that is refused ends the session. It rejects with an
 * ApiProblem carrying the problem+json body for a non-2xx answer, or an ApiError when no answer arrived.
 */
export async function request<P extends keyof paths, M extends Method>(
  method: M,
  path: P,
  params: RequestParams<Operation<P, M>> = {},
): Promise<Answer<Operation<P, M>>> {
  const url = fillPath(path, params.path as Record<string, unknown> | undefined) +
    queryString(params.query as Record<string, unknown> | undefined)
  const what = `${method.toUpperCase()} ${path}`
  const token = getToken()
  let res = await send(what, url, method, token, params)
  if (res.status === 401 && token && !String(path).startsWith('/auth/')) {
    const next = await refreshSession(token)
    if (next) res = await send(what, url, method, next, params)
  }
  if (res.status === 204) return undefined as Answer<Operation<P, M>>
  let body: unknown
  try {
    body = await res.json()
  } catch (err) {
    throw new ApiError(`${what}: ${res.ok ? 'response is not JSON' : `${res.status} ${res.statusText}`.trim()}`, res.status, {
      cause: err,
    })
  }
  if (!res.ok) {
    const problem = (typeof body === 'object' && body !== null ? body : {}) as Problem
    throw new ApiProblem(problemMessage(problem, `${res.status} ${res.statusText}`.trim()), res.status, problem)
  }
  return body as Answer<Operation<P, M>>
}

async function send<O>(what: string, url: string, method: Method, token: string | null, params: RequestParams<O>): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' }
  if (token) headers['Authorization'] = `Bearer ${token}`
  const init: RequestInit = { method: method.toUpperCase(), headers, signal: params.signal ?? null }
  if (params.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(params.body)
  }
  try {
    return await fetch(url, init)
  } catch (err) {
    if (params.signal?.aborted) throw err
    throw new ApiError(`${what}: server unreachable`, 0, { cause: err })
  }
}

/** The refresh under way: every call that meets an expired token waits for the same one. */
let refreshing: Promise<string | null> | null = null

/**
 * refreshSession trades the kept refresh token for new tokens and returns the new access token, or null when the
 * session cannot go on (no refresh token, or the server refused it: the tokens are then forgotten). A refresh
 * token works once, so concurrent callers share one refresh; a caller whose expired token was already replaced
 * gets the replacement without another refresh.
 */
export function refreshSession(expired: string): Promise<string | null> {
  const now = getToken()
  if (now && now !== expired) return Promise.resolve(now)
  refreshing ??= doRefresh().finally(() => {
    refreshing = null
  })
  return refreshing
}

async function doRefresh(): Promise<string | null> {
  const refreshToken = getRefreshToken()
  if (!refreshToken) return null
  let res: Response
  try {
    res = await fetch('/auth/refresh', {
      method: 'POST',
      headers: { Accept: 'application/json, application/problem+json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
    })
  } catch {
    return null // no answer: keep the tokens, the caller sees its 401 and may try again
  }
  if (!res.ok) {
    if (res.status === 401 || res.status === 404) setToken(null)
    return null
  }
  try {
    const s = asObject(await res.json())
    const access = s['access_token'], refresh = s['refresh_token']
    if (typeof access !== 'string' || !access) return null
    setToken(access, typeof refresh === 'string' && refresh ? refresh : null)
    return access
  } catch {
    return null
  }
}
