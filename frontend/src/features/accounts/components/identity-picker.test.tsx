import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'

import { fakeApi, page } from '@/testing/fake-api'

import { IdentityPicker } from './identity-picker'

function renderPicker(onPick: (id: number) => void) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  return render(
    <QueryClientProvider client={qc}>
      <IdentityPicker connectorId="crm" externalId="c-cy" who="cyoung" pending={false} onPick={onPick} />
    </QueryClientProvider>,
  )
}

describe('IdentityPicker', () => {
  it('offers the suggestions with their reasons, and picks one', async () => {
    fakeApi({
      'GET /api/connectors/crm/accounts/c-cy/suggestions': {
        status: 200,
        json: [{ id: 3, display_name: 'Cy Young', primary_email: 'cy@example.com', anchored: true, reasons: ['same_name', 'known_alias'] }],
      },
    })
    const onPick = vi.fn()
    renderPicker(onPick)
    const list = await screen.findByRole('list', { name: 'Suggested identities for cyoung' })
    expect(list.textContent).toContain('(same name, known alias)')
    fireEvent.click(screen.getByRole('button', { name: 'Link cyoung to Cy Young' }))
    expect(onPick).toHaveBeenCalledWith(3)
  })

  it('searches the server by name or email only from two characters, and says when nothing matches', async () => {
    const fetch = fakeApi({
      'GET /api/connectors/crm/accounts/c-cy/suggestions': { status: 200, json: [] },
      'GET /api/identities': ({ url }) =>
        url.searchParams.get('q') === 'cy@'
          ? page([{ id: 3, display_name: 'Cy Young', primary_email: 'cy@example.com' }])
          : page([]),
    })
    const onPick = vi.fn()
    renderPicker(onPick)
    const input = screen.getByLabelText('Find the identity to link cyoung to')
    fireEvent.change(input, { target: { value: 'c' } })
    await waitFor(() => expect(fetch.mock.calls.some(([u]) => String(u).includes('/suggestions'))).toBe(true))
    expect(fetch.mock.calls.filter(([u]) => String(u).includes('/api/identities'))).toHaveLength(0)
    fireEvent.change(input, { target: { value: 'cy@' } })
    fireEvent.click(await screen.findByRole('button', { name: 'Link cyoung to Cy Young' }))
    expect(onPick).toHaveBeenCalledWith(3)
    const searched = fetch.mock.calls.map(([u]) => new URL(String(u), 'http://localhost')).find((u) => u.pathname === '/api/identities')
    expect(searched?.searchParams.get('q')).toBe('cy@')
    fireEvent.change(input, { target: { value: 'nobody' } })
    expect(await screen.findByText('No identity matches “nobody”.')).toBeTruthy()
  })
})
