import { setToken } from '@/lib/token'

/** signOut forgets the token; the app hears the change and shows the sign-in page. */
export function signOut(): void {
  setToken(null)
}
