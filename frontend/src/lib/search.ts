/**
 * Readers for URL search params, for the routes' validateSearch. Each returns undefined for a missing or invalid
 * value so that a hand-edited URL falls back to the default rather than failing.
 */

export function searchString(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v)
  return typeof v === 'string' && v !== '' ? v : undefined
}

export function searchBool(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true
  if (v === false || v === 'false') return false
  return undefined
}

export function searchPage(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : undefined
}

export function searchEnum<T extends string>(v: unknown, allowed: readonly T[]): T | undefined {
  return allowed.includes(v as T) ? (v as T) : undefined
}

/** The limit and offset of a 1-based page. */
export function pageWindow(page: number | undefined, limit: number): { limit: number; offset: number } {
  return { limit, offset: ((page ?? 1) - 1) * limit }
}

/** Sort values the API takes: each key ascending and, with a leading '-', descending. */
export function sortValues<K extends string>(keys: readonly K[]): (K | `-${K}`)[] {
  return keys.flatMap((k) => [k, `-${k}` as const])
}
