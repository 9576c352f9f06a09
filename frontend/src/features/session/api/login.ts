import { useMutation } from '@tanstack/react-query'

import type { components } from '@/api/schema'
import { request } from '@/lib/api'
import { setToken } from '@/lib/token'

export type LoginInput = components['schemas']['LoginInput']
export type Session = components['schemas']['Session']

/** login signs in with a password (local runtime) and keeps the session's tokens. */
export async function login(input: LoginInput): Promise<Session> {
  const session = await request('post', '/auth/login', { body: input })
  setToken(session.access_token, session.refresh_token || null)
  return session
}

export function useLogin() {
  return useMutation({ mutationFn: login })
}
