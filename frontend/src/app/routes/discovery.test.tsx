import { fireEvent, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

const gov = { state: 'under_review', criticality: 'unknown', classification: 'unknown', notes: '' }
const app = {
  key: 'notion.so', display_name: 'Notion', domain: 'notion.so', risk_level: 'high', risk_score: 82, actors_30d: 14,
  first_seen_at: '2026-01-01T00:00:00Z', last_seen_at: '2026-01-02T00:00:00Z', governance: gov, managed_state: 'unmanaged',
  scopes: [], privileged_scopes: ['write'], confidential_scopes: [], sources: ['okta-main'], suggested_classification: 'internal',
  suggested_criticality: 'medium',
}

describe('Discovery', () => {
  it('filters apps through the URL', async () => {
    const { fetch, history } = renderApp('/discovery', { 'GET /api/discovery/apps': page([app]) })
    expect(await screen.findByRole('link', { name: 'Notion' })).toBeTruthy()
    fireEvent.change(screen.getByLabelText('Risk'), { target: { value: 'high' } })
    await waitFor(() => expect(new URLSearchParams(history.location.search).get('risk')).toBe('high'))
    await waitFor(() => expect(requested(fetch, 'GET', '/api/discovery/apps').at(-1)?.searchParams.get('risk_level')).toBe('high'))
    expect(requested(fetch, 'GET', '/api/discovery/apps')[0]?.searchParams.get('sort')).toBe('-risk_score')
  })

  it('saves a governance decision', async () => {
    const { fetch } = renderApp('/discovery/notion.so', {
      'GET /api/discovery/apps/notion.so': { status: 200, json: { ...app, bindings: [], evidence: { items: [], total: 0, limit: 50, offset: 0 } } },
      'PATCH /api/discovery/apps/notion.so/governance': { status: 200, json: { ...app, governance: { ...gov, state: 'sanctioned' } } },
    })
    fireEvent.change(await screen.findByLabelText('State'), { target: { value: 'sanctioned' } })
    fireEvent.change(screen.getByLabelText('Owner identity ID'), { target: { value: '7' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save governance' }))
    await screen.findByText('Saved.')
    const patch = fetch.mock.calls.find(([, i]) => i?.method === 'PATCH')
    expect(JSON.parse(String(patch?.[1]?.body))).toEqual({ state: 'sanctioned', criticality: 'unknown', classification: 'unknown', notes: '', owner_identity_id: 7 })
  })
})
