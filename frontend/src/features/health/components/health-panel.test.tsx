import { act, screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { stubFetch, type FakeAnswer } from '@/testing/fetch'
import { renderWithQuery } from '@/testing/render'

import { healthRefetchMs } from '../api/get-healthz'
import { HealthPanel } from './health-panel'

/** The value shown next to a term in the panel's fact list. */
function fact(term: string): string {
  const dt = screen.getByText(term, { selector: 'dt' })
  return dt.nextElementSibling?.textContent ?? ''
}

describe('HealthPanel', () => {
  const healthy = { status: 'ok', database: 'ok', schema_version: 7, schema_latest: 7 }

  it('shows a loading state until the server answers', async () => {
    stubFetch({ status: 200, json: healthy })
    renderWithQuery(<HealthPanel />)
    expect(screen.getByRole('status').textContent).toMatch(/checking system health/i)
    await screen.findByText('Status', { selector: 'dt' })
    expect(screen.queryByRole('status')).toBeNull()
  })

  it.each<{ name: string; give: FakeAnswer; want: { status: string; database: string; schema: string } }>([
    {
      name: 'ok',
      give: { status: 200, json: healthy },
      want: { status: 'ok', database: 'ok', schema: '7 (latest)' },
    },
    {
      name: 'unavailable, migrations pending',
      give: {
        status: 503,
        json: { status: 'unavailable', database: 'migrations pending', schema_version: 5, schema_latest: 7 },
      },
      want: { status: 'unavailable', database: 'migrations pending', schema: '5 of 7' },
    },
    {
      name: 'unavailable, database unreachable',
      give: {
        status: 503,
        json: { status: 'unavailable', database: 'unreachable', schema_version: 0, schema_latest: 0 },
      },
      want: { status: 'unavailable', database: 'unreachable', schema: 'unknown' },
    },
  ])('shows the answer: $name', async ({ give, want }) => {
    const fetch = stubFetch(give)
    renderWithQuery(<HealthPanel />)

    await screen.findByText('Status', { selector: 'dt' })
    expect(fact('Status')).toBe(want.status)
    expect(fact('Database')).toBe(want.database)
    expect(fact('Schema version')).toBe(want.schema)
    expect(screen.queryByRole('alert')).toBeNull()
    expect(fetch).toHaveBeenCalledWith('/healthz', expect.objectContaining({ headers: { Accept: 'application/json' } }))
  })

  it.each<{ name: string; give: FakeAnswer; want: RegExp }>([
    { name: 'server error', give: { status: 500, text: 'boom' }, want: /GET \/healthz: 500/ },
    { name: 'network failure', give: { networkError: true }, want: /server unreachable/ },
    { name: 'not JSON', give: { status: 200, text: '<!doctype html>' }, want: /not JSON/ },
    {
      name: 'unexpected shape',
      give: { status: 200, json: { status: 'fine', database: 'ok', schema_version: 1, schema_latest: 1 } },
      want: /unexpected response/,
    },
  ])('shows an error: $name', async ({ give, want }) => {
    stubFetch(give)
    renderWithQuery(<HealthPanel />)

    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toMatch(/could not check system health/i)
    expect(alert.textContent).toMatch(want)
    expect(screen.queryByText('Status', { selector: 'dt' })).toBeNull()
    expect(within(screen.getByRole('region', { name: 'System health' })).getByRole('button').textContent).toBe(
      'Check now',
    )
  })

  describe('every 15 seconds', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it('checks again, and keeps the last answer when a check fails', async () => {
      vi.useFakeTimers({ shouldAdvanceTime: true })
      const fetch = stubFetch(
        { status: 200, json: healthy },
        { status: 503, json: { status: 'unavailable', database: 'unreachable', schema_version: 0, schema_latest: 0 } },
        { networkError: true },
      )
      renderWithQuery(<HealthPanel />)
      await screen.findByText('Status', { selector: 'dt' })
      expect(fact('Status')).toBe('ok')
      expect(fetch).toHaveBeenCalledTimes(1)

      await act(() => vi.advanceTimersByTimeAsync(healthRefetchMs))
      expect(fetch).toHaveBeenCalledTimes(2)
      expect(fact('Status')).toBe('unavailable')

      await act(() => vi.advanceTimersByTimeAsync(healthRefetchMs))
      expect(fetch).toHaveBeenCalledTimes(3)
      expect(fact('Status')).toBe('unavailable')
      expect(screen.getByRole('alert').textContent).toMatch(/last check failed/i)
    })
  })
})
