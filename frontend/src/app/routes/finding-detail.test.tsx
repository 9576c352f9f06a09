import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested, viewerMe } from '@/testing/app'

const finding = {
  id: 9, title: 'Admin without MFA', severity: 'high', status: 'open', kind: 'posture', dedupe_key: 'posture:s/R-1:global::',
  rule_key: 'R-1', first_seen_at: '2026-01-01T00:00:00Z', last_seen_at: '2026-01-02T00:00:00Z', evidence: { affected: ['ada'] },
}

describe('Finding detail', () => {
  it('opens from the findings list', async () => {
    const { history } = renderApp('/findings', { 'GET /api/findings': page([finding]), 'GET /api/findings/9': { status: 200, json: finding } })
    fireEvent.click(await screen.findByRole('link', { name: 'Admin without MFA' }))
    await waitFor(() => expect(history.location.pathname).toBe('/findings/9'))
    expect(await screen.findByRole('heading', { name: 'Admin without MFA' })).toBeTruthy()
    expect(screen.getByText(/"ada"/)).toBeTruthy()
  })

  it('shows why the rule matters and how to fix it', async () => {
    renderApp('/findings/9', {
      'GET /api/findings/9': { status: 200, json: { ...finding, rationale: 'Admins are the first target.', remediation: '1. Enrol a factor.\n2. Require it.' } },
    })
    const why = await screen.findByRole('region', { name: 'Why it matters' })
    expect(within(why).getByText('Admins are the first target.')).toBeTruthy()
    const fix = screen.getByRole('region', { name: 'How to fix it' })
    expect(fix.textContent).toContain('1. Enrol a factor.')
    expect(fix.textContent).toContain('2. Require it.')
  })

  it('names the affected resources and accounts with links to their pages', async () => {
    renderApp('/findings/9', {
      'GET /api/findings/9': {
        status: 200,
        json: {
          ...finding, connector_id: 'okta-1', affected: [
            { type: 'account', id: 4, connector_id: 'okta-1', external_id: 'u-zed', name: 'Zed', identity_id: 12 },
            { type: 'account', id: 5, connector_id: 'okta-1', external_id: 'u-amy', name: 'Amy' },
            { type: 'resource', id: 31, connector_id: 'okta-1', external_id: '0oa1', name: 'Payroll' },
          ],
        },
      },
    })
    const affected = await screen.findByRole('region', { name: 'Affected (3)' })
    expect(within(affected).getByRole('link', { name: 'Payroll' }).getAttribute('href')).toBe('/resources/31')
    expect(within(affected).getByRole('link', { name: 'Zed' }).getAttribute('href')).toBe('/identities/12')
    expect(within(affected).getByRole('link', { name: 'Amy' }).getAttribute('href')).toBe('/connectors/okta-1/accounts?q=u-amy')
  })

  it('links the access changes a change rule names to the changes view filtered to them', async () => {
    const change = (id: number, change: string) => ({
      id, connector_id: 'okta-1', entity: 'account', change, observed_at: '2026-03-07T23:00:00Z', principal_kind: 'account',
      principal_external_id: 'u1', principal_name: 'Ann', account_id: 5, target_kind: '', target_external_id: '', permission: '',
      via: '', old_value: 'false', new_value: 'true', privileged: true,
    })
    const { fetch, history } = renderApp('/findings/9', {
      'GET /api/findings/9': {
        status: 200,
        json: {
          ...finding, rule_key: 'NORM-CHG-001', evidence: { affected_resources: [
            { id: 'access_change:41', display: 'account_admin_granted Ann (okta-1)' },
            { id: 'access_change:42', display: 'account_admin_granted Bob (okta-1)' },
            { id: 'u-zed', display: 'not a change' },
          ] },
        },
      },
      'GET /api/access-changes': ({ url }) => ({
        status: 200,
        json: { items: (url.searchParams.get('id') ?? '').split(',').map((id) => change(Number(id.replace('access_change:', '')), 'account_admin_granted')) },
      }),
    })
    const panel = await screen.findByRole('region', { name: 'Access changes (2)' })
    const ann = within(panel).getByRole('link', { name: 'account_admin_granted Ann (okta-1)' })
    const target = (name: string) => {
      const href = within(panel).getByRole('link', { name }).getAttribute('href')!
      return [href.split('?')[0], new URLSearchParams(href.split('?')[1]).get('id')]
    }
    expect(target('account_admin_granted Ann (okta-1)')).toEqual(['/access-changes', 'access_change:41'])
    expect(target('account_admin_granted Bob (okta-1)')).toEqual(['/access-changes', 'access_change:42'])
    expect(target('All 2 in the changes view')).toEqual(['/access-changes', 'access_change:41,access_change:42'])
    expect(within(panel).queryByText('not a change')).toBeNull()

    fireEvent.click(ann)
    await waitFor(() => expect(history.location.pathname).toBe('/access-changes'))
    const table = await screen.findByRole('table', { name: 'Access changes' })
    expect(within(table).getAllByRole('row')).toHaveLength(2) // the header and change 41
    expect(requested(fetch, 'GET', '/api/access-changes').at(-1)!.searchParams.get('id')).toBe('access_change:41')
    expect(screen.getByRole('status').textContent).toContain('Showing the change a finding names.')
  })

  it('accepts the risk with a reason and an expiry', async () => {
    let current: object = finding
    const { fetch } = renderApp('/findings/9', {
      'GET /api/findings/9': () => ({ status: 200, json: current }),
      'POST /api/findings/9/status': ({ body }) => {
        current = { ...finding, status: (body as { status: string }).status, status_reason: 'compensating control', status_until: '2026-12-31T00:00:00Z' }
        return { status: 200, json: current }
      },
    })
    fireEvent.click(await screen.findByRole('button', { name: 'Accept risk…' }))
    const form = screen.getByRole('form', { name: 'Accept the risk' })
    const submit = within(form).getByRole('button', { name: 'Accept risk' }) as HTMLButtonElement
    expect(submit.disabled).toBe(true)
    fireEvent.change(within(form).getByLabelText('Reason'), { target: { value: 'compensating control' } })
    fireEvent.change(within(form).getByLabelText('Until (optional)'), { target: { value: '2026-12-31' } })
    fireEvent.click(submit)
    await waitFor(() => expect(requested(fetch, 'POST', '/api/findings/9/status')).toHaveLength(1))
    const post = fetch.mock.calls.find(([, i]) => i?.method === 'POST')
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({ status: 'accepted_risk', reason: 'compensating control', until: '2026-12-31T00:00:00.000Z' })
    expect(await screen.findByText('compensating control')).toBeTruthy()
    // Once decided, the finding can be reopened.
    expect(await screen.findByRole('button', { name: 'Reopen' })).toBeTruthy()
  })

  it('resolves and shows the server error when the change is refused', async () => {
    renderApp('/findings/9', {
      'GET /api/findings/9': { status: 200, json: finding },
      'POST /api/findings/9/status': { status: 422, json: { title: 'Unprocessable Entity', status: 422, detail: 'finding is gone' } },
    })
    fireEvent.click(await screen.findByRole('button', { name: 'Resolve' }))
    expect((await screen.findByRole('alert')).textContent).toContain('finding is gone')
  })

  it('shows viewers no actions', async () => {
    renderApp('/findings/9', { 'GET /api/me': viewerMe, 'GET /api/findings/9': { status: 200, json: finding } })
    expect(await screen.findByRole('heading', { name: 'Admin without MFA' })).toBeTruthy()
    await screen.findByText('viewer@example.com')
    expect(screen.queryByRole('region', { name: 'Actions' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Resolve' })).toBeNull()
  })

  it('shows a not-found error', async () => {
    renderApp('/findings/77', { 'GET /api/findings/77': { status: 404, json: { title: 'Not Found', status: 404, detail: 'finding 77 not found' } } })
    expect((await screen.findByRole('alert')).textContent).toMatch(/Could not load the finding\. finding 77 not found/)
  })
})
