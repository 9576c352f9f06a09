import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested } from '@/testing/app'

const result = (rule_key: string, status: string, extra: object = {}) => ({
  ruleset_key: 'okta.cis', rule_key, title: `Rule ${rule_key}`, severity: 'high', status, selected: 3, passed_count: 1,
  affected: [], affected_total: 0, evaluated_at: '2026-01-01T00:00:00Z', ...extra,
})
const posture = {
  scopes: [{
    scope_kind: 'connector_instance', source_kind: 'okta', source_name: 'okta-main', connector_name: 'Okta main',
    rulesets: [{
      key: 'okta.cis', passed: 3, evaluated: 4, failed: 1, other: 1,
      results: [
        result('R-1', 'fail', { summary: '2 admins without MFA', affected: [{ id: 'u1', display: 'Ada' }, { id: 'u2', display: 'Bob' }], affected_total: 2 }),
        result('R-2', 'pass'), result('R-3', 'pass'), result('R-4', 'pass'), result('R-5', 'unknown', { reason: 'missing_data' }),
      ],
    }],
  }],
}

describe('Posture', () => {
  it('shows each ruleset score and its failing rules with affected resources and history', async () => {
    const { fetch } = renderApp('/posture?connector=okta-main', {
      'GET /api/posture': { status: 200, json: posture },
      'GET /api/connectors': page([]),
      'GET /api/rule-history': { status: 200, json: [{ id: 1, status: 'fail', selected: 3, passed: 1, affected: 2, evaluated_at: '2026-01-01T00:00:00Z' }] },
    })
    const set = await screen.findByRole('region', { name: 'Ruleset okta.cis' })
    expect(within(set).getByText('75%')).toBeTruthy()
    expect(within(set).getByText('(3 of 4 passed)')).toBeTruthy()
    expect(requested(fetch, 'GET', '/api/posture')[0]?.searchParams.get('connector')).toBe('okta-main')
    const failing = within(set).getByRole('list', { name: 'Failing rules of okta.cis' })
    expect(within(failing).getAllByRole('listitem').length).toBeGreaterThan(0)
    expect(failing.textContent).toContain('2 admins without MFA')
    expect(failing.textContent).toContain('Ada')
    expect(failing.textContent).not.toContain('Rule R-2')
    fireEvent.click(within(failing).getByRole('button', { name: 'History' }))
    expect(await within(set).findByRole('table', { name: 'History of R-1' })).toBeTruthy()
    const h = requested(fetch, 'GET', '/api/rule-history')[0]!.searchParams
    expect([h.get('ruleset'), h.get('rule'), h.get('connector')]).toEqual(['okta.cis', 'R-1', 'okta-main'])
    expect(within(set).getByRole('link', { name: 'findings' }).getAttribute('href')).toBe('/findings?rule=R-1')
  })

  it('says when nothing was evaluated yet', async () => {
    renderApp('/posture', { 'GET /api/posture': { status: 200, json: { scopes: [] } }, 'GET /api/connectors': page([]) })
    expect(await screen.findByText(/No rule results yet/)).toBeTruthy()
  })

  it('changes scope through the URL', async () => {
    const { history } = renderApp('/posture', {
      'GET /api/posture': { status: 200, json: { scopes: [] } },
      'GET /api/connectors': page([{ id: 'okta-main', name: 'Okta main', kind: 'okta' }]),
    })
    await screen.findByRole('option', { name: 'Okta main' })
    fireEvent.change(screen.getByLabelText('Scope'), { target: { value: 'global' } })
    await waitFor(() => expect(new URLSearchParams(history.location.search).get('connector')).toBe('global'))
  })
})
