/** Headless Chromium for the end-to-end suite: Debian's chromium (or E2E_CHROMIUM) driven by playwright-core. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'

import { outputDir } from './global-setup'

export const chromiumPath = process.env['E2E_CHROMIUM'] ?? '/usr/bin/chromium'

export interface Session {
  browser: Browser
  context: BrowserContext
  page: Page
  /** Uncaught exceptions in the page. */
  pageErrors: string[]
}

export async function openBrowser(baseURL: string): Promise<Session> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: \`apt-get install -y chromium\`, or set E2E_CHROMIUM to a Chromium binary`)
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  // A new context is a fresh profile: no token in sessionStorage, no cache.
  const context = await browser.newContext({ baseURL, viewport: { width: 1366, height: 900 } })
  context.setDefaultTimeout(20_000)
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`))
  return { browser, context, page, pageErrors }
}

/** A full-page screenshot into e2e/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true })
}

/**
 * Waits until the page shows no loading state (role status "Loading …") and no error state (the alert
 * "Could not load …"), failing with the error's text.
 */
export async function settled(page: Page, timeout = 20_000) {
  const deadline = Date.now() + timeout
  for (;;) {
    const failed = page.getByRole('alert').filter({ hasText: /^Could not load/ })
    if (await failed.count()) throw new Error(`the page shows an error: ${await failed.first().innerText()}`)
    const loading = await page.getByRole('status').filter({ hasText: /^Loading .*…$/ }).count()
    if (loading === 0) return
    if (Date.now() > deadline) throw new Error(`${page.url()} is still loading after ${timeout / 1000} s`)
    await page.waitForTimeout(200)
  }
}

/** Polls fn until it returns true or timeout passes, reloading nothing: the SPA polls on its own. */
export async function eventually(what: string, fn: () => Promise<boolean>, timeout = 30_000, every = 500) {
  const deadline = Date.now() + timeout
  let lastError: unknown
  for (;;) {
    try {
      if (await fn()) return
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`)
    }
    await new Promise((r) => setTimeout(r, every))
  }
}

/** The text of a table row's cells. */
export async function cells(row: Locator): Promise<string[]> {
  return (await row.getByRole('cell').allInnerTexts()).map((t) => t.trim())
}
