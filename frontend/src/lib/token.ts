/**
 * The signed-in user's access token: kept in memory and in sessionStorage, so that a reload keeps the session
 * and closing the tab ends it. Listeners hear every change (sign-in, sign-out, a 401).
 */

const storageKey = 'open-sspm.token'

type Listener = (token: string | null) => void

const listeners = new Set<Listener>()
let current: string | null | undefined

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

export function setToken(token: string | null): void {
  current = token
  const s = storage()
  if (token) s?.setItem(storageKey, token)
  else s?.removeItem(storageKey)
  for (const l of listeners) l(token)
}

export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
