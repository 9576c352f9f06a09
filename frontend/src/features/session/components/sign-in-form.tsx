import { useState, type FormEvent } from 'react'

import { ApiError } from '@/lib/api'

import { useLogin } from '../api/login'

function loginError(err: Error): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Wrong email or password.'
    if (err.status === 429) return 'Too many failed sign-ins. Wait a few minutes and try again.'
    if (err.status === 404) return 'Password sign-in is not enabled here; sign in through your identity provider.'
  }
  return err.message
}

/** The local password sign-in. onSignedIn runs once the token is kept. */
export function SignInForm({ onSignedIn }: { onSignedIn: () => void }) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const login = useLogin()

  const submit = (e: FormEvent) => {
    e.preventDefault()
    login.mutate({ email, password }, { onSuccess: onSignedIn })
  }

  return (
    <form className="sign-in" onSubmit={submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to Open-SSPM</h1>
      {login.error && (
        <div role="alert" className="alert">
          {loginError(login.error)}
        </div>
      )}
      <div className="field">
        <label htmlFor="sign-in-email">Email</label>
        <input
          id="sign-in-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="sign-in-password">Password</label>
        <input
          id="sign-in-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </div>
      <button type="submit" className="button primary" disabled={login.isPending}>
        {login.isPending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  )
}
