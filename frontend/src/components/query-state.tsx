import type { ReactNode } from 'react'

/** The loading, error and empty states every page shows the same way. */
export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  )
}

export function ErrorState({ what, error, onRetry }: { what: string; error: Error; onRetry?: () => void }) {
  return (
    <div role="alert" className="alert">
      <strong>Could not load {what}.</strong> {error.message}{' '}
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty muted">{children}</p>
}

/** Renders children with the data once a query has it, and the matching state until then. */
export function QueryState<T>({
  what,
  query,
  children,
}: {
  what: string
  query: { data: T | undefined; error: Error | null; isPending: boolean; refetch: () => unknown }
  children: (data: T) => ReactNode
}) {
  if (query.data !== undefined) return <>{children(query.data)}</>
  if (query.error) return <ErrorState what={what} error={query.error} onRetry={() => void query.refetch()} />
  return <Loading what={what} />
}
