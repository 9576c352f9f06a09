import { fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { fakeApi } from '@/testing/fake-api'
import { renderWithQuery } from '@/testing/render'

import { PushHookPanel } from './push-hook-panel'

const path = '/api/connectors/entra-main/push-hook'
const registered = {
  connector_id: 'entra-main', url: 'https://sspm.example.com/hooks/entra/entra-main', provider_ref: 'sub-users sub-groups',
  registered_at: '2026-03-01T10:00:00Z',
}

describe('PushHookPanel', () => {
  it('registers the hook at the window origin and shows the registration', async () => {
    const fetch = fakeApi({
      [`GET ${path}`]: { status: 404, json: { title: 'Not Found', status: 404, detail: 'connector entra-main has no push hook registered' } },
      [`POST ${path}`]: ({ body }) => ({ status: 200, json: { ...registered, url: `${(body as { url: string }).url}/hooks/entra/entra-main` } }),
    })
    renderWithQuery(<PushHookPanel connectorId="entra-main" canRegister />)
    expect(await screen.findByText(/Not registered/)).toBeTruthy()
    const input = screen.getByLabelText('Deployment URL') as HTMLInputElement
    expect(input.value).toBe(globalThis.location.origin)
    fireEvent.change(input, { target: { value: ' https://sspm.example.com ' } })
    fireEvent.click(screen.getByRole('button', { name: 'Register' }))
    expect(await screen.findByText('Registered.')).toBeTruthy()
    const post = fetch.mock.calls.find(([, i]) => i?.method === 'POST')
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({ url: 'https://sspm.example.com' })
    const facts = screen.getByRole('region', { name: 'Push hook' }).querySelector('dl')!
    expect(within(facts).getByText('https://sspm.example.com/hooks/entra/entra-main')).toBeTruthy()
    expect(within(facts).getByText('sub-users sub-groups')).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Register again' })).toBeTruthy()
  })

  it("shows a provider's refusal and the failure kept next to the registration in force", async () => {
    let failed = false
    fakeApi({
      [`GET ${path}`]: () => ({ status: 200, json: failed
        ? { ...registered, last_error: 'connector entra-main: the entra registration failed: Graph could not validate the URL',
          last_error_url: 'https://other.example.com/hooks/entra/entra-main', last_error_at: '2026-03-02T10:00:00Z' }
        : registered }),
      [`POST ${path}`]: () => {
        failed = true
        return { status: 502, json: { title: 'Bad Gateway', status: 502, detail: 'connector entra-main: the entra registration failed: Graph could not validate the URL' } }
      },
    })
    renderWithQuery(<PushHookPanel connectorId="entra-main" canRegister />)
    expect(await screen.findByText('https://sspm.example.com/hooks/entra/entra-main')).toBeTruthy()
    fireEvent.change(screen.getByLabelText('Deployment URL'), { target: { value: 'https://other.example.com' } })
    fireEvent.click(screen.getByRole('button', { name: 'Register again' }))
    expect((await screen.findByRole('alert')).textContent).toContain('Graph could not validate the URL')
    await waitFor(() => expect(screen.getByText(/The last attempt failed/).closest('p')!.textContent).toContain('https://other.example.com/hooks/entra/entra-main'))
    // The registration in force is still shown.
    expect(screen.getByText('https://sspm.example.com/hooks/entra/entra-main')).toBeTruthy()
  })

  it('shows viewers the registration without the form', async () => {
    fakeApi({ [`GET ${path}`]: { status: 200, json: registered } })
    renderWithQuery(<PushHookPanel connectorId="entra-main" canRegister={false} />)
    expect(await screen.findByText('https://sspm.example.com/hooks/entra/entra-main')).toBeTruthy()
    expect(screen.queryByRole('form', { name: 'Register push hook' })).toBeNull()
    expect(screen.queryByRole('button', { name: /Register/ })).toBeNull()
  })
})
