import { createMemoryHistory } from '@tanstack/react-router'
import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'

import { stubFetch } from '@/testing/fetch'
import { testQueryClient } from '@/testing/render'

import { App } from './app'

function renderAt(path: string) {
  stubFetch({ status: 200, json: { status: 'ok', database: 'ok', schema_version: 1, schema_latest: 1 } })
  return render(<App queryClient={testQueryClient()} history={createMemoryHistory({ initialEntries: [path] })} />)
}

describe('App', () => {
  it('shows the shell and the overview at /', async () => {
    renderAt('/')
    expect(await screen.findByRole('heading', { level: 1, name: 'Overview' })).toBeTruthy()
    expect(screen.getByRole('banner').textContent).toContain('Open-SSPM')
    const nav = screen.getByRole('navigation', { name: 'Main' })
    const links = Array.from(nav.querySelectorAll('a')).map((a) => [a.textContent, a.getAttribute('aria-current')])
    expect(links).toEqual([['Overview', 'page']])
    expect(await screen.findByRole('region', { name: 'System health' })).toBeTruthy()
  })

  it('shows not found for an unknown path, inside the shell', async () => {
    renderAt('/nowhere')
    expect(await screen.findByRole('heading', { level: 1, name: 'Page not found' })).toBeTruthy()
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy()
  })
})
