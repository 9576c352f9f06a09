import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

describe('Audit log', () => {
  it('lists changes newest first with before and after, filtered through the URL', async () => {
    const { fetch, history } = renderApp('/audit?action=finding', {
      'GET /api/audit': page([{ id: 1, actor: 'admin@example.com', action: 'finding.status', target_type: 'finding', target_id: '9', before: { status: 'open' }, after: { status: 'resolved' }, at: '2026-01-01T00:00:00Z' }]),
    })
    const table = await screen.findByRole('table', { name: 'Audit log' })
    const row = within(table).getByText('finding.status').closest('tr')!
    expect(row.textContent).toContain('admin@example.com')
    expect(row.textContent).toContain('finding 9')
    expect(row.textContent).toContain('"resolved"')
    const q = requested(fetch, 'GET', '/api/audit')[0]!.searchParams
    expect([q.get('action'), q.get('sort')]).toEqual(['finding', '-at'])
    fireEvent.change(screen.getByLabelText('Who'), { target: { value: 'bob@example.com' } })
    fireEvent.blur(screen.getByLabelText('Who'))
    await waitFor(() => expect(new URLSearchParams(history.location.search).get('actor')).toBe('bob@example.com'))
  })

  it('has an empty state', async () => {
    renderApp('/audit', { 'GET /api/audit': page([]) })
    expect(await screen.findByText('No changes match.')).toBeTruthy()
  })
})
