import { getRouteApi, useNavigate } from '@tanstack/react-router'

import { SignInForm } from '@/features/session/components/sign-in-form'
import { searchString } from '@/lib/search'

export interface SignInSearch {
  redirect?: string | undefined
}

export function signInSearch(s: Record<string, unknown>): SignInSearch {
  return { redirect: searchString(s['redirect']) }
}

const routeApi = getRouteApi('/sign-in')

/** Only same-app paths are followed after sign-in. */
function safeRedirect(to: string | undefined): string {
  return to && to.startsWith('/') && !to.startsWith('//') && !to.startsWith('/sign-in') ? to : '/'
}

export function SignInPage() {
  const { redirect } = routeApi.useSearch()
  const navigate = useNavigate()
  return (
    <main className="sign-in-page">
      <SignInForm onSignedIn={() => void navigate({ href: safeRedirect(redirect) })} />
    </main>
  )
}
