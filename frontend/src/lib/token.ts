/**
 * The signed-in user's tokens: the short-lived access token and the refresh token that gets the next one, kept in
 * memory and in sessionStorage, so that a reload keeps the session and closing the tab ends it. Listeners hear
 * every change of the access token (sign-in, a refresh, sign-out, a session that ended).
 */

const storageKey = 'open-sspm.token'
const refreshKey = 'open-sspm.refresh-token'

type Listener = (token: string | null) => void

const listeners = new Set<Listener>()
let current: string | null | undefined
let currentRefresh: string | null | undefined

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null
  } catch {
    return null
  }
}

export function getToken(): string | null {
  if (current === undefined) current = storage()?.getItem(storageKey) ?? null
  return current
}

export function getRefreshToken(): string | null {
  if (currentRefresh === undefined) currentRefresh = storage()?.getItem(refreshKey) ?? null
  return currentRefresh
}

/** setToken keeps an access token, with its refresh token when there is one; null forgets both. */
export function setToken(token: string | null, refreshToken: string | null = null): void {
  current = token
  currentRefresh = token ? refreshToken : null
  const s = storage()
  if (token) s?.setItem(storageKey, token)
  else s?.removeItem(storageKey)
  if (currentRefresh) s?.setItem(refreshKey, currentRefresh)
  else s?.removeItem(refreshKey)
  for (const l of listeners) l(token)
}

export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
