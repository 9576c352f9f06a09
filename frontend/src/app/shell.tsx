import { Link, Outlet } from '@tanstack/react-router'

/** The frame around every page: the header and the navigation. */
export function Shell() {
  return (
    <div className="shell">
      <header className="shell-header">
        <Link to="/" className="brand">
          Open-SSPM
        </Link>
      </header>
      <nav className="shell-nav" aria-label="Main">
        <ul>
          <li>
            <Link to="/" activeOptions={{ exact: true }}>
              Overview
            </Link>
          </li>
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
