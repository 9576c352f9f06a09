/**
 * The admin UI end to end, against `open-sspm dev --demo on` (simulated Okta org and GitHub organization of one
 * company; see global-setup.ts): sign in, add a connector and sync it, find a person's access across sources,
 * link a "needs anchor" account, attest a manual rule, and a screenshot of every main page (e2e/screenshots/).
 *
 * The steps share one browser page and run in order; once a step fails, the later ones are skipped.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, test, type TestContext } from 'vitest'

import { cells, eventually, openBrowser, screenshot, settled, type Session } from './browser'

/** The token the GitHub simulator accepts (internal/providersim/githubsim: DefaultToken). */
const githubSimToken = 'ghp_simulatortoken'
const newConnector = { id: 'github-e2e', name: 'GitHub (e2e copy of the demo organization)' }

let s: Session
let page: Page
let failed = ''

/** One step of the scenario: skipped when an earlier one failed. */
function step(name: string, fn: (ctx: TestContext) => Promise<void>, timeout?: number) {
  test(name, async (ctx) => {
    if (failed) ctx.skip(`an earlier step failed: ${failed}`)
    try {
      await fn(ctx)
    } catch (err) {
      if ((err as { code?: string }).code === 'VITEST_PENDING') throw err // ctx.skip(): not a failure
      failed = name
      await screenshot(page, `failed-${name.replace(/\W+/g, '-')}`).catch(() => undefined)
      throw err
    }
  }, timeout)
}

/** Opens a page through the main navigation and waits until it has loaded. */
async function nav(link: string, heading = link) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click()
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor()
  await settled(page)
}

/** The rows of a table's body. */
function bodyRows(tableName: string) {
  return page.getByRole('table', { name: tableName, exact: true }).locator('tbody').getByRole('row')
}

const person: { id: string; name: string; email: string } = { id: '', name: '', email: '' }

describe('admin UI against open-sspm dev with the simulator', () => {
  beforeAll(async () => {
    s = await openBrowser(inject('baseURL'))
    page = s.page
  })

  afterAll(async () => {
    await s?.browser.close()
  })

  step('sign in with the admin password', async () => {
    await page.goto('/')
    await page.waitForURL(/\/sign-in/)
    await page.getByRole('heading', { name: 'Sign in to Open-SSPM' }).waitFor()
    await screenshot(page, '00-sign-in')
    await page.getByLabel('Email').fill(inject('adminEmail'))
    await page.getByLabel('Password').fill(inject('adminPassword'))
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
    await expect.poll(() => page.getByText(inject('adminEmail')).count()).toBeGreaterThan(0)
  })

  step('overview loads', async () => {
    await settled(page)
    const glance = page.getByRole('region', { name: 'Connector health', exact: true })
    await eventually('both demo connectors in the overview', async () => {
      const text = await glance.innerText()
      return text.includes('okta-demo') && text.includes('github-demo') && text.includes('succeeded')
    })
    const inventory = page.getByRole('region', { name: 'Inventory' })
    await eventually('the inventory counts', async () => !(await inventory.innerText()).includes('…'))
    const identities = Number(await inventory.getByRole('link', { name: /Identities/ }).locator('.count').innerText())
    expect(identities).toBeGreaterThan(10)
    await expect.poll(() => page.getByRole('region', { name: 'System health' }).innerText()).toMatch(/Database\s+ok/)
    await screenshot(page, '01-overview')
  })

  step('add a connector through Settings → Connectors', async () => {
    await nav('Connectors')
    // Demo mode adds one connector of each kind (internal/demo): Okta, GitHub, Entra ID, Google Workspace,
    // Datadog and AWS IAM Identity Center.
    for (const id of ['okta-demo', 'github-demo', 'entra-demo', 'google-demo', 'datadog-demo', 'aws-demo']) {
      await page.getByRole('link', { name: id, exact: true }).waitFor()
    }
    await expect.poll(() => bodyRows('Connectors').count()).toBe(6)
    await screenshot(page, '02-connectors')

    // The demo's GitHub connector points at the simulator; the new one reads the same organization.
    await page.getByRole('link', { name: 'github-demo', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Connector github-demo' }).waitFor()
    await settled(page)
    const apiURL = await page.getByLabel('API URL', { exact: true }).inputValue()
    const org = await page.getByLabel('Organization (required)', { exact: true }).inputValue()
    expect(apiURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(org).not.toBe('')

    await nav('Connectors')
    await page.getByRole('link', { name: 'Add connector' }).click()
    await page.getByRole('heading', { level: 1, name: 'Add connector' }).waitFor()
    await page.getByLabel('Kind', { exact: true }).selectOption('github')
    const form = page.getByRole('form', { name: 'github connector' })
    await form.getByLabel('ID', { exact: true }).fill(newConnector.id)
    await form.getByLabel('Name', { exact: true }).fill(newConnector.name)
    await form.getByLabel('Organization (required)', { exact: true }).fill(org)
    await form.getByLabel('Authentication (required)', { exact: true }).selectOption('token')
    await form.getByLabel('API URL', { exact: true }).fill(apiURL)
    await form.getByLabel('Secret', { exact: true }).fill(githubSimToken)
    await form.getByRole('button', { name: 'Test connection' }).click()
    await form.getByRole('status').filter({ hasText: 'Connection works.' }).waitFor()
    await screenshot(page, '03-connector-new')
    await form.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: `Connector ${newConnector.id}` }).waitFor()
    await settled(page)
    expect(await page.getByText('Could not save').count()).toBe(0)
  })

  step('trigger a sync and watch it finish', async () => {
    await page.getByRole('region', { name: 'Sync' }).getByRole('button', { name: 'Trigger full sync' }).click()
    await page.getByRole('status').filter({ hasText: 'Started full sync.' }).waitFor()

    await nav('Connector health')
    const panel = page.getByRole('region', { name: `Connector ${newConnector.id}`, exact: true })
    const lane = panel.getByRole('table', { name: `Lanes of ${newConnector.id}` }).getByRole('row').filter({
      has: page.getByRole('cell', { name: 'full', exact: true }),
    })
    await eventually(`the ${newConnector.id} full sync to succeed`, async () => {
      const c = await cells(lane)
      if (c[1] === 'failed') throw new Error(`the sync failed: ${await panel.innerText()}`)
      return c[1] === 'succeeded'
    }, 90_000)
    // The run's counts: accounts came in.
    const runs = panel.getByRole('table', { name: `Runs of ${newConnector.id}` }).locator('tbody').getByRole('row')
    await expect.poll(async () => (await cells(runs.first())).join(' ')).toMatch(/succeeded.*accounts \d+/)
    expect(await page.getByRole('region', { name: 'Connector okta-demo', exact: true }).innerText()).toContain('succeeded')
    await screenshot(page, '04-connector-health')
  })

  step("find a person and see their access across sources", async () => {
    await nav('Identities')
    // People with a GitHub account that an Okta account anchors (managed), most accounts first.
    const filters = page.getByRole('search', { name: 'Filter identities' })
    await filters.getByLabel('Kind', { exact: true }).selectOption('person')
    await filters.getByLabel('Source', { exact: true }).selectOption({ label: 'GitHub (simulated demo organization)' })
    await page.waitForURL(/source=github-demo/)
    await filters.getByLabel('Managed', { exact: true }).selectOption('true')
    await page.waitForURL(/managed=true/)
    const table = page.getByRole('table', { name: 'Identities', exact: true })
    await table.getByRole('button', { name: 'Accounts' }).click()
    await page.waitForURL(/sort=accounts/)
    await table.getByRole('button', { name: 'Accounts' }).click()
    await page.waitForURL(/sort=-accounts/)
    await settled(page)
    await expect.poll(async () => Number((await cells(bodyRows('Identities').first()))[4])).toBeGreaterThanOrEqual(2)
    await screenshot(page, '05-identities')
    const [name = '', email = ''] = await cells(bodyRows('Identities').first())
    expect(email).toMatch(/@/)

    // Search for the person from a clean list.
    await page.goto('/identities')
    await settled(page)
    const search = page.getByLabel('Search name or email')
    await search.fill(email)
    await search.press('Enter')
    await page.waitForURL(/q=/)
    await settled(page)
    await expect.poll(() => bodyRows('Identities').count()).toBe(1)
    await bodyRows('Identities').first().getByRole('link', { name, exact: true }).click()
    await page.getByRole('heading', { level: 1, name, exact: true }).waitFor()
    await settled(page)
    person.id = /\/identities\/(\d+)/.exec(page.url())?.[1] ?? ''
    person.name = name
    person.email = email
    expect(person.id).not.toBe('')

    // Accounts from both sources, with groups and grants.
    const okta = page.getByRole('region', { name: /\(okta\): / })
    const github = page.getByRole('region', { name: /\(github\): / })
    expect(await okta.count()).toBeGreaterThan(0)
    expect(await github.count()).toBeGreaterThan(0)
    const groups = Number(/Groups \((\d+)\)/.exec(await okta.first().innerText())?.[1] ?? 0)
    expect(groups).toBeGreaterThan(0)
    const grants = page.getByRole('table', { name: /^Grants of / }).locator('tbody').getByRole('row')
    expect(await grants.count()).toBeGreaterThan(0)
    await screenshot(page, '06-identity-detail')
  })

  step('link a "needs anchor" account to an identity', async () => {
    await nav('Connectors')
    const row = bodyRows('Connectors').filter({ has: page.getByRole('link', { name: 'github-demo', exact: true }) })
    await row.getByRole('link', { name: 'Needs anchor' }).click()
    await page.getByRole('heading', { level: 1, name: 'Needs anchor: github-demo' }).waitFor()
    await settled(page)
    const rows = bodyRows('Accounts of github-demo')
    await expect.poll(() => rows.count()).toBeGreaterThan(0)
    await screenshot(page, '07-needs-anchor')

    // A person's account (not a bot's): link it to the identity found above.
    const account = rows.filter({ has: page.getByRole('cell', { name: 'user', exact: true }) }).first()
    const linkButton = account.getByRole('button', { name: /^Link / })
    const who = ((await linkButton.textContent()) ?? '').replace(/^Link\s*/, '').trim()
    expect(who).not.toBe('')
    // The row says why the account needs an anchor.
    expect(await account.innerText()).toMatch(/no email|matches no anchored identity|several identities|no authoritative source|next linking run/)
    // The picker: search the identity by email, pick it from the results (suggestions may list it too).
    await linkButton.click()
    await account.getByLabel(`Find the identity to link ${who} to`).fill(person.email)
    const results = account.getByRole('list', { name: `Identities matching ${person.email}` })
    await results.getByRole('button', { name: `Link ${who} to ${person.name}`, exact: true }).click()
    await expect
      .poll(() => page.getByRole('button', { name: `Link ${who}`, exact: true }).count(), { timeout: 15_000 })
      .toBe(0)
    expect(await page.getByRole('alert').count()).toBe(0)
    await screenshot(page, '08-needs-anchor-linked')

    // The identity now has the account, linked by hand.
    await page.goto(`/identities/${person.id}`)
    await page.getByRole('heading', { level: 1, name: person.name, exact: true }).waitFor()
    await settled(page)
    const linked = page.getByRole('region', { name: new RegExp(`\\(github\\): ${who.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) })
    await expect.poll(() => linked.count()).toBe(1)
    expect(await linked.innerText()).toMatch(/linked manual/)
  })

  step("access history: the changes page with its filters, an identity's timeline and its access as of today", async () => {
    await nav('Access changes')
    const filters = page.getByRole('search', { name: 'Filter access changes', exact: true })
    for (const label of ['Connector', 'Change', 'Resource or group ID', 'From (UTC)', 'Until (UTC)', 'Privileged only']) {
      await expect.poll(() => filters.getByLabel(label, { exact: true }).count(), { message: `the "${label}" filter` }).toBe(1)
    }
    // A connector's first full sync is its baseline and records nothing: on a fresh demo the list may be empty,
    // or hold the demo's later changes and the link made by hand above.
    const changes = page.getByRole('table', { name: 'Access changes', exact: true })
    const none = page.getByText('No access changes match.', { exact: true })
    await eventually('the access changes or their empty state', async () => (await changes.count()) + (await none.count()) > 0)
    await screenshot(page, '22-access-changes')
    // The filters go through the URL and the list answers them.
    await filters.getByLabel('Change', { exact: true }).selectOption('identity_linked')
    await page.waitForURL(/change=identity_linked/)
    await filters.getByLabel('Privileged only', { exact: true }).check()
    await page.waitForURL(/privileged=true/)
    await settled(page)
    await eventually('the filtered changes or their empty state', async () => (await changes.count()) + (await none.count()) > 0)
    if ((await changes.count()) > 0) {
      for (const row of await changes.locator('tbody').getByRole('row').all()) expect(await row.innerText()).toContain('Identity linked')
    }

    // The identity found above: its timeline section, and its access as of today holds its accounts.
    await page.goto(`/identities/${person.id}`)
    await page.getByRole('heading', { level: 1, name: person.name, exact: true }).waitFor()
    await settled(page)
    const timeline = page.getByRole('region', { name: 'Access timeline', exact: true })
    await timeline.getByRole('heading', { name: 'Access timeline' }).waitFor()
    await eventually('the timeline or its empty state', async () => {
      const text = await timeline.innerText()
      return (await timeline.getByRole('table', { name: 'Access timeline' }).count()) > 0 || text.includes('No access changes recorded.')
    })
    const asOf = page.getByRole('region', { name: 'Access as of a date', exact: true })
    const today = new Date().toISOString().slice(0, 10)
    await asOf.getByLabel('Date (end of day, UTC)', { exact: true }).fill(today)
    const held = asOf.getByRole('region', { name: new RegExp(` as of ${today}$`) })
    await expect.poll(() => held.count(), { message: `accounts of ${person.name} as of ${today}` }).toBeGreaterThan(1)
    await screenshot(page, '23-identity-timeline')
  })

  step('posture: attest a manual rule', async () => {
    await nav('Posture')
    await expect.poll(() => page.getByRole('region', { name: /^Ruleset / }).count()).toBeGreaterThan(0)
    await screenshot(page, '09-posture')
    // A rule the page lists as manual (needing attestation), in the Okta org's CIS ruleset.
    const attest = page.getByRole('button', { name: 'Attest', exact: true })
    await openCollapsed(page)
    await expect.poll(() => attest.count()).toBeGreaterThan(0)
    const manualRows = page.getByRole('row').filter({ hasText: /manual/i }).filter({ has: attest })
    await expect.poll(() => manualRows.count(), { message: 'rows of manual rules with "Attest"' }).toBeGreaterThan(0)
    const row = manualRows.first()
    const ruleKey = /\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b/.exec(await row.innerText())?.[0] ?? ''
    expect(ruleKey).not.toBe('')
    await row.getByRole('button', { name: 'Attest', exact: true }).click()

    await page.getByLabel('Status', { exact: true }).selectOption('pass')
    await page.getByLabel('Note', { exact: true }).fill(`Checked by the end-to-end suite (${ruleKey}).`)
    const expires = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10)
    await page.getByLabel('Expires', { exact: true }).fill(expires)
    await page.getByRole('button', { name: 'Save attestation', exact: true }).click()

    await openCollapsed(page)
    await eventually(`${ruleKey} to show "Attested"`, async () => {
      const r = page.getByRole('row').filter({ hasText: ruleKey }).filter({ hasText: 'Attested' })
      return (await r.count()) > 0
    }, 60_000)
    await screenshot(page, '10-posture-attested')
  })

  step('every main page renders', async () => {
    const pages: [link: string, heading: string, table: string | undefined, shot: string][] = [
      ['Resources', 'Resources', 'Resources', '11-resources'],
      ['Discovery', 'Discovered apps', 'Discovered apps', '12-discovery'],
      ['Events', 'Events', undefined, '13-events'],
      ['Findings', 'Findings', 'Findings', '14-findings'],
      ['Posture', 'Posture', undefined, '15-posture'],
      ['Connectors', 'Connectors', 'Connectors', '16-connectors'],
      ['Connector health', 'Connector health', undefined, '17-connector-health'],
      ['Identities', 'Identities', 'Identities', '18-identities'],
      ['Overview', 'Overview', undefined, '19-overview'],
      ['Audit log', 'Audit log', 'Audit log', '20-audit'],
    ]
    for (const [link, heading, table, shot] of pages) {
      await nav(link, heading)
      if (table) await expect.poll(() => bodyRows(table).count(), { message: `rows of ${table}` }).toBeGreaterThan(0)
      await screenshot(page, shot)
    }
    // The audit log recorded this run's changes.
    const audit = (await page.getByRole('table', { name: 'Audit log' }).innerText()).toLowerCase()
    expect(audit).toContain(newConnector.id)
  })

  step('a discovered app shows the evidence its actor count comes from', async () => {
    await nav('Discovery', 'Discovered apps')
    const table = page.getByRole('table', { name: 'Discovered apps', exact: true })
    const header = (await table.locator('thead').getByRole('columnheader').allInnerTexts()).map((t) => t.trim())
    const actorsCol = header.findIndex((h) => h.startsWith('Actors'))
    expect(actorsCol).toBeGreaterThan(0)
    // The first app with actors in the last 30 days: its evidence must explain the count.
    let first = bodyRows('Discovered apps').first()
    let name = ''
    let actors = 0
    for (let i = 0; i < (await bodyRows('Discovered apps').count()) && actors === 0; i++) {
      const c = await cells(bodyRows('Discovered apps').nth(i))
      first = bodyRows('Discovered apps').nth(i)
      name = c[0] ?? ''
      actors = Number(c[actorsCol])
    }
    expect(actors, `actors of ${name}`).toBeGreaterThan(0)
    await first.getByRole('link', { name, exact: true }).click()
    await page.getByRole('heading', { level: 1, name, exact: true }).waitFor()
    await settled(page)
    const evidence = page.getByRole('region', { name: /^Evidence \(\d+\)$/ })
    const total = Number(/\((\d+)\)/.exec((await evidence.getByRole('heading').innerText()))?.[1] ?? '0')
    expect(total, `evidence rows of ${name} (${actors} actors in 30 days)`).toBeGreaterThan(0)
    const rows = evidence.getByRole('table', { name: 'Evidence', exact: true }).locator('tbody').getByRole('row')
    const shown = await rows.count()
    const people = new Set<string>()
    for (let i = 0; i < shown; i++) people.add((await cells(rows.nth(i)))[1] ?? '')
    if (shown === total) expect(people.size, `distinct actors in the evidence of ${name}`).toBe(actors)
    else expect(people.size).toBeGreaterThan(0)
    await screenshot(page, '21-discovered-app')
  })

  step('no uncaught errors in the page', async () => {
    expect(s.pageErrors).toEqual([])
  })
})

/** Opens the posture page's collapsed sections (the rule results and affected resources in <details>). */
async function openCollapsed(p: Page) {
  await p.locator('details:not([open])').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)))
}
