import { queryOptions, useQuery } from '@tanstack/react-query'

import { asObject, get } from '@/lib/api'

/** The server's answer to GET /healthz. */
export interface Health {
  status: 'ok' | 'unavailable'
  /** "ok", or why the database is not usable ("unreachable", "schema unknown", "migrations pending"). */
  database: string
  /** The applied migration; 0 when it could not be read. */
  schemaVersion: number
  /** The newest migration this server ships; 0 when it could not be read. */
  schemaLatest: number
}

/** How often the health check repeats while the page is open. */
export const healthRefetchMs = 15_000

export function decodeHealth(body: unknown): Health {
  const b = asObject(body)
  const { status, database, schema_version: schemaVersion, schema_latest: schemaLatest } = b
  if (status !== 'ok' && status !== 'unavailable') throw new TypeError(`status ${JSON.stringify(status)}`)
  if (typeof database !== 'string') throw new TypeError('database is not a string')
  if (!Number.isInteger(schemaVersion) || !Number.isInteger(schemaLatest)) {
    throw new TypeError('schema versions are not integers')
  }
  return { status, database, schemaVersion: schemaVersion as number, schemaLatest: schemaLatest as number }
}

/** getHealth asks the server how it is. A 503 is an answer ("unavailable"), not an error. */
export function getHealth(signal?: AbortSignal): Promise<Health> {
  return get('/healthz', decodeHealth, { signal, acceptStatus: [503] })
}

export function healthQueryOptions() {
  return queryOptions({
    queryKey: ['health'],
    queryFn: ({ signal }) => getHealth(signal),
    refetchInterval: healthRefetchMs,
  })
}

export function useHealth() {
  return useQuery(healthQueryOptions())
}
