import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { page } from '@/testing/fake-api'
import { renderApp, requested, viewerMe } from '@/testing/app'

const result = (rule_key: string, status: string, extra: object = {}) => ({
  ruleset_key: 'okta.cis', rule_key, title: `Rule ${rule_key}`, severity: 'high', status, selected: 3, passed_count: 1,
  affected: [], affected_total: 0, evaluated_at: '2026-01-01T00:00:00Z', ...extra,
})
const posture = {
  scopes: [{
    scope_kind: 'connector_instance', source_kind: 'okta', source_name: 'okta-main', connector_name: 'Okta main',
    rulesets: [{
      key: 'okta.cis', passed: 3, evaluated: 4, failed: 1, other: 1, disabled: false,
      results: [
        result('R-1', 'fail', { summary: '2 admins without MFA', affected: [{ id: 'u1', display: 'Ada' }, { id: 'u2', display: 'Bob' }], affected_total: 2 }),
        result('R-2', 'pass'), result('R-3', 'pass'), result('R-4', 'pass'),
        result('R-5', 'unknown', { reason: 'manual_rule', manual: true }),
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

type Json = Record<string, unknown>
const base = 'okta-main/rulesets/okta.cis'

/** A fake posture API that keeps the controls it is sent, as the server does. */
function controlsApi(extra: Record<string, unknown> = {}) {
  const state = structuredClone(posture) as { scopes: { rulesets: { disabled: boolean; results: Json[] }[] }[] }
  const set = state.scopes[0]!.rulesets[0]!
  const rule = (key: string) => set.results.find((r) => r['rule_key'] === key)!
  const sent: { method: string; path: string; body: unknown }[] = []
  const record = (method: string, path: string, answer: (body: unknown) => { status: number; json?: unknown }) =>
    ({ [`${method} /api/posture/${base}/${path}`]: ({ body }: { body: unknown }) => {
      sent.push({ method, path, body })
      const a = answer(body)
      return a.status === 204 ? { status: 204, json: null } : { status: a.status, json: a.json ?? {} }
    } })
  const routes = {
    'GET /api/posture': () => ({ status: 200, json: state }),
    'GET /api/connectors': page([]),
    ...record('PUT', 'rules/R-5/attestation', (body) => {
      const b = body as Json
      Object.assign(rule('R-5'), { status: b['status'], reason: 'attested',
        attestation: { ...b, by: 'admin@example.com', at: '2026-01-02T00:00:00Z', expired: false } })
      return { status: 200, json: rule('R-5') }
    }),
    ...record('DELETE', 'rules/R-5/attestation', () => {
      Object.assign(rule('R-5'), { status: 'unknown', reason: 'manual_rule' })
      delete rule('R-5')['attestation']
      return { status: 204 }
    }),
    ...record('PUT', 'rules/R-2/override', (body) => {
      Object.assign(rule('R-2'), { status: 'not_applicable', reason: 'disabled_by_override', override: body })
      return { status: 200, json: rule('R-2') }
    }),
    ...record('DELETE', 'rules/R-2/override', () => {
      Object.assign(rule('R-2'), { status: 'pass', reason: '' })
      delete rule('R-2')['override']
      return { status: 204 }
    }),
    ...record('PUT', 'override', () => {
      set.disabled = true
      for (const r of set.results) Object.assign(r, { status: 'not_applicable', reason: 'ruleset_disabled' })
      return { status: 200, json: set }
    }),
    ...record('DELETE', 'override', () => {
      set.disabled = false
      return { status: 204 }
    }),
    ...extra,
  }
  return { routes, sent, rule }
}

const rowOf = (key: string) => screen.getAllByRole('row').find((r) => within(r).queryByText(key, { selector: 'code' }))!

describe('Posture rule controls', () => {
  it('attests a manual rule', async () => {
    const api = controlsApi()
    renderApp('/posture?connector=okta-main', api.routes)
    await screen.findByRole('table', { name: 'Rules of okta.cis' })
    const row = rowOf('R-5')
    expect(row.textContent).toContain('Manual')
    fireEvent.click(within(row).getByRole('button', { name: 'Attest' }))
    const dialog = await screen.findByRole('dialog', { name: 'Attest R-5' })
    const save = within(dialog).getByRole('button', { name: 'Save attestation' }) as HTMLButtonElement
    expect(save.disabled).toBe(true)
    expect((within(dialog).getByLabelText('Expires') as HTMLInputElement).value).not.toBe('')
    fireEvent.change(within(dialog).getByLabelText('Status'), { target: { value: 'fail' } })
    fireEvent.change(within(dialog).getByLabelText('Note'), { target: { value: 'no automation exists' } })
    fireEvent.change(within(dialog).getByLabelText('Expires'), { target: { value: '2027-03-01' } })
    fireEvent.click(save)
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(api.sent).toEqual([{ method: 'PUT', path: 'rules/R-5/attestation',
      body: { status: 'fail', note: 'no automation exists', expires_at: '2027-03-01T00:00:00.000Z' } }])
    await waitFor(() => expect(within(rowOf('R-5')).getByText('Attested')).toBeTruthy())
    expect(within(rowOf('R-5')).getByText('fail')).toBeTruthy()
    // Focus is back on the button that opened the form.
    expect(document.activeElement?.textContent).toBe('Attest')
  })

  it('shows the server refusing an attestation in the form', async () => {
    const api = controlsApi({
      'PUT /api/posture/okta-main/rulesets/okta.cis/rules/R-5/attestation': {
        status: 422, json: { title: 'Unprocessable Entity', status: 422, detail: 'the expiry must be in the future' },
      },
    })
    renderApp('/posture?connector=okta-main', api.routes)
    await screen.findByRole('table', { name: 'Rules of okta.cis' })
    fireEvent.click(within(rowOf('R-5')).getByRole('button', { name: 'Attest' }))
    const dialog = await screen.findByRole('dialog', { name: 'Attest R-5' })
    fireEvent.change(within(dialog).getByLabelText('Note'), { target: { value: 'x' } })
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save attestation' }))
    expect((await within(dialog).findByRole('alert')).textContent).toContain('the expiry must be in the future')
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('removes an attestation', async () => {
    const api = controlsApi()
    Object.assign(api.rule('R-5'), { status: 'pass', reason: 'attested',
      attestation: { status: 'pass', note: 'checked', by: 'a@example.com', at: '2026-01-01T00:00:00Z', expired: false } })
    renderApp('/posture?connector=okta-main', api.routes)
    await screen.findByRole('table', { name: 'Rules of okta.cis' })
    expect(within(rowOf('R-5')).getByText('Attested')).toBeTruthy()
    fireEvent.click(within(rowOf('R-5')).getByRole('button', { name: 'Remove attestation' }))
    await waitFor(() => expect(within(rowOf('R-5')).queryByText('Attested')).toBeNull())
    expect(api.sent.map((s) => `${s.method} ${s.path}`)).toEqual(['DELETE rules/R-5/attestation'])
    expect(within(rowOf('R-5')).queryByRole('button', { name: 'Remove attestation' })).toBeNull()
  })

  it('shows a lapsed attestation as expired, not attested', async () => {
    const api = controlsApi()
    Object.assign(api.rule('R-5'), {
      attestation: { status: 'pass', note: 'old', by: 'a@example.com', at: '2025-01-01T00:00:00Z', expires_at: '2025-06-01T00:00:00Z', expired: true } })
    renderApp('/posture?connector=okta-main', api.routes)
    await screen.findByRole('table', { name: 'Rules of okta.cis' })
    expect(rowOf('R-5').textContent).toContain('Attestation (pass) expired')
    expect(within(rowOf('R-5')).queryByText('Attested')).toBeNull()
  })

  it('disables and enables a rule', async () => {
    const api = controlsApi()
    renderApp('/posture?connector=okta-main', api.routes)
    await screen.findByRole('table', { name: 'Rules of okta.cis' })
    fireEvent.click(within(rowOf('R-2')).getByRole('button', { name: 'Disable rule' }))
    await waitFor(() => expect(within(rowOf('R-2')).getByText('Rule disabled')).toBeTruthy())
    fireEvent.click(within(rowOf('R-2')).getByRole('button', { name: 'Enable rule' }))
    await waitFor(() => expect(within(rowOf('R-2')).getByRole('button', { name: 'Disable rule' })).toBeTruthy())
    expect(api.sent).toEqual([
      { method: 'PUT', path: 'rules/R-2/override', body: { enabled: false } },
      { method: 'DELETE', path: 'rules/R-2/override', body: undefined },
    ])
  })

  it('disables and enables a ruleset', async () => {
    const api = controlsApi()
    renderApp('/posture?connector=okta-main', api.routes)
    const set = await screen.findByRole('region', { name: 'Ruleset okta.cis' })
    fireEvent.click(within(set).getByRole('button', { name: 'Disable ruleset' }))
    await within(set).findByText('Ruleset disabled')
    expect(within(rowOf('R-2')).getByText('ruleset_disabled')).toBeTruthy()
    fireEvent.click(within(set).getByRole('button', { name: 'Enable ruleset' }))
    await within(set).findByRole('button', { name: 'Disable ruleset' })
    expect(api.sent).toEqual([
      { method: 'PUT', path: 'override', body: { enabled: false } },
      { method: 'DELETE', path: 'override', body: undefined },
    ])
  })

  it('edits parameters and shows the server validation next to the field', async () => {
    let answer: { status: number; json: unknown } = {
      status: 422, json: { title: 'Unprocessable Entity', status: 422, detail: 'invalid parameters: parameter max_admins: must be at least 1',
        errors: [{ location: 'body.params.max_admins', message: 'must be at least 1' }] },
    }
    const bodies: unknown[] = []
    const api = controlsApi({
      'PUT /api/posture/okta-main/rulesets/okta.cis/rules/R-3/override': ({ body }: { body: unknown }) => {
        bodies.push(body)
        return answer
      },
    })
    Object.assign(api.rule('R-3'), { parameters: {
      defaults: { max_admins: 3, strict: false, labels: ['a', 'b'] },
      schema: { max_admins: { type: 'integer', minimum: 1, maximum: 100, description: 'Most admins allowed.' }, strict: { type: 'boolean' }, labels: { type: 'array' } },
    } })
    renderApp('/posture?connector=okta-main', api.routes)
    await screen.findByRole('table', { name: 'Rules of okta.cis' })
    fireEvent.click(within(rowOf('R-3')).getByRole('button', { name: 'Parameters' }))
    const dialog = await screen.findByRole('dialog', { name: 'Parameters of R-3' })
    const max = within(dialog).getByLabelText('max_admins') as HTMLInputElement
    expect(max.value).toBe('3')
    expect((within(dialog).getByLabelText('labels') as HTMLTextAreaElement).value).toBe('a\nb')
    fireEvent.change(max, { target: { value: '0' } })
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'strict' }))
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save parameters' }))
    expect(await within(dialog).findByText('must be at least 1')).toBeTruthy()
    expect(max.getAttribute('aria-invalid')).toBe('true')
    expect(bodies[0]).toEqual({ enabled: true, params: { max_admins: 0, strict: true } })

    answer = { status: 200, json: api.rule('R-3') }
    fireEvent.change(max, { target: { value: '10' } })
    fireEvent.change(within(dialog).getByLabelText('labels'), { target: { value: 'a\nb\nc' } })
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save parameters' }))
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(bodies[1]).toEqual({ enabled: true, params: { max_admins: 10, strict: true, labels: ['a', 'b', 'c'] } })
  })

  it('shows viewers the controls state but no actions', async () => {
    const api = controlsApi({ 'GET /api/me': viewerMe })
    Object.assign(api.rule('R-5'), { status: 'pass', reason: 'attested',
      attestation: { status: 'pass', note: 'checked', by: 'a@example.com', at: '2026-01-01T00:00:00Z', expired: false } })
    renderApp('/posture?connector=okta-main', api.routes)
    await screen.findByRole('table', { name: 'Rules of okta.cis' })
    await screen.findByText('viewer@example.com')
    expect(within(rowOf('R-5')).getByText('Attested')).toBeTruthy()
    for (const name of ['Attest', 'Remove attestation', 'Disable rule', 'Disable ruleset', 'Parameters']) {
      expect(screen.queryByRole('button', { name })).toBeNull()
    }
  })

  it('shows an error when the posture cannot be read', async () => {
    renderApp('/posture', {
      'GET /api/posture': { status: 500, json: { title: 'Internal Server Error', status: 500, detail: 'internal error' } },
      'GET /api/connectors': page([]),
    })
    expect((await screen.findByRole('alert')).textContent).toMatch(/Could not load posture/)
  })
})
