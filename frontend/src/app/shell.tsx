import { Link, Outlet, useNavigate } from '@tanstack/react-router'

import { useMe } from '@/features/session/api/get-me'
import { signOut } from '@/features/session/api/sign-out'

const links = [
  { to: '/', label: 'Overview', exact: true },
  { to: '/identities', label: 'Identities', exact: false },
  { to: '/resources', label: 'Resources', exact: false },
  { to: '/discovery', label: 'Discovery', exact: false },
  { to: '/access-changes', label: 'Access changes', exact: false },
  { to: '/events', label: 'Events', exact: false },
  { to: '/posture', label: 'Posture', exact: false },
  { to: '/findings', label: 'Findings', exact: false },
  { to: '/settings/connectors', label: 'Connectors', exact: false },
  { to: '/settings/health', label: 'Connector health', exact: false },
  { to: '/audit', label: 'Audit log', exact: false },
] as const

/** The frame around every signed-in page: the header, the navigation and who is signed in. */
export function Shell() {
  const me = useMe()
  const navigate = useNavigate()
  return (
    <div className="shell">
      <header className="shell-header">
        <Link to="/" className="brand">
          Open-SSPM
        </Link>
        <div className="who">
          {me.data && (
            <span>
              {me.data.email || me.data.subject} <span className="badge badge-neutral">{me.data.role}</span>
            </span>
          )}
          <button
            type="button"
            className="button"
            onClick={() => {
              void signOut()
              void navigate({ to: '/sign-in' })
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <nav className="shell-nav" aria-label="Main">
        <ul>
          {links.map((l) => (
            <li key={l.to}>
              <Link to={l.to} activeOptions={{ exact: l.exact }}>
                {l.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main className="shell-main">
        <Outlet />
      </main>
    </div>
  )
}

export function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to the overview</Link>
      </p>
    </>
  )
}
