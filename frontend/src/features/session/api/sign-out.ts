import { request } from '@/lib/api'
import { setToken } from '@/lib/token'

/**
 * signOut ends the session on the server (its tokens stop working at once) and forgets the tokens; the app hears
 * the change and shows the sign-in page. The tokens are forgotten even when the server cannot be reached.
 */
export function signOut(): Promise<void> {
  const ended = request('post', '/auth/logout').then(
    () => undefined,
    () => undefined,
  )
  setToken(null)
  return ended
}
