/**
 * Starts `open-sspm dev --demo on` for the end-to-end suite and stops it afterwards.
 *
 * - The binary is E2E_BINARY (default ../bin/open-sspm, built by `make test-e2e`); the SPA is frontend/dist.
 * - With TEST_DATABASE_URL (CI), a fresh database e2e_<random> is created in that server through psql and
 *   dropped afterwards; without it, `open-sspm dev` starts its embedded PostgreSQL in a throw-away data folder.
 * - The server listens on 127.0.0.1:0; its URL comes from its "open-sspm is up" log line, and the admin's
 *   one-time password from the owner-only file named by the "Sign in as … with the password in …" line it prints
 *   on a fresh database.
 * - Before the tests start, the demo's first syncs (okta-demo and github-demo, full lane) have succeeded.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string
    adminEmail: string
    adminPassword: string
  }
}

const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repoDir = resolve(frontendDir, '..')
export const outputDir = join(frontendDir, 'e2e', 'screenshots')

const startTimeoutMs = 180_000 // an embedded PostgreSQL's first start installs its binaries
const demoSyncTimeoutMs = 180_000

function psql(url: string, sql: string) {
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { encoding: 'utf8' })
  if (r.error) throw new Error(`psql: ${r.error.message} (install the PostgreSQL client, or unset TEST_DATABASE_URL)`)
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`)
}

/** The URL of database name on the server of url. */
function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function sleep(ms: number) {
  await new Promise((r) => setTimeout(r, ms))
}

/** Signs in through the API and waits until the demo connectors' first full syncs have succeeded. */
async function waitForDemo(baseURL: string, email: string, password: string) {
  const login = await fetch(`${baseURL}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (!login.ok) throw new Error(`sign-in through the API: ${login.status} ${await login.text()}`)
  const { access_token: token } = (await login.json()) as { access_token: string }
  const deadline = Date.now() + demoSyncTimeoutMs
  let last = ''
  while (Date.now() < deadline) {
    const res = await fetch(`${baseURL}/api/health`, { headers: { authorization: `Bearer ${token}` } })
    if (res.ok) {
      const h = (await res.json()) as { connectors: { connector_id: string; lane: string; last_status?: string }[] }
      const full = (id: string) => h.connectors.find((c) => c.connector_id === id && c.lane === 'full')?.last_status
      last = `okta-demo ${full('okta-demo') ?? 'never run'}, github-demo ${full('github-demo') ?? 'never run'}`
      if (full('okta-demo') === 'succeeded' && full('github-demo') === 'succeeded') {
        // The evaluator runs right after a sync; wait until the posture page has results too.
        const p = await fetch(`${baseURL}/api/posture`, { headers: { authorization: `Bearer ${token}` } })
        if (p.ok && ((await p.json()) as { scopes: unknown[] }).scopes.length > 0) return
        last += ', posture not evaluated yet'
      }
    }
    await sleep(1000)
  }
  throw new Error(`the demo's first syncs did not finish within ${demoSyncTimeoutMs / 1000} s (${last})`)
}

export default async function setup(project: TestProject) {
  const binary = resolve(process.env['E2E_BINARY'] ?? join(repoDir, 'bin', 'open-sspm'))
  if (!existsSync(binary)) {
    throw new Error(`${binary} does not exist: run \`make test-e2e\`, or \`go build -o bin/open-sspm ./functions/open-sspm\``)
  }
  const spaDir = join(frontendDir, 'dist')
  if (!existsSync(join(spaDir, 'index.html'))) throw new Error(`${spaDir} is not built: run \`npm run build\``)
  rmSync(outputDir, { recursive: true, force: true })
  mkdirSync(outputDir, { recursive: true })

  const dataDir = mkdtempSync(join(tmpdir(), 'open-sspm-e2e-'))
  const env: NodeJS.ProcessEnv = { ...process.env, OPEN_SSPM_DATA: dataDir, OPEN_SSPM_SPA_DIR: spaDir, LOG_LEVEL: 'info' }
  delete env['DATABASE_URL']
  delete env['OPEN_SSPM_ADMIN_EMAIL']
  let dropDatabase = () => {}
  const serverURL = process.env['TEST_DATABASE_URL']
  if (serverURL) {
    const name = `e2e_${randomBytes(6).toString('hex')}`
    psql(serverURL, `CREATE DATABASE ${name}`)
    env['DATABASE_URL'] = withDatabase(serverURL, name)
    dropDatabase = () => psql(serverURL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }

  const logFile = join(outputDir, 'server.log')
  const log = createWriteStream(logFile)
  const child: ChildProcess = spawn(binary, ['dev', '--addr', '127.0.0.1:0', '--demo', 'on'], {
    cwd: repoDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const onData = (chunk: Buffer) => {
    output += chunk.toString()
    log.write(chunk)
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const done = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)])
      if (!done) child.kill('SIGKILL')
    }
    log.end()
    try {
      dropDatabase()
    } catch (err) {
      console.warn('e2e: drop the database:', err)
    }
    rmSync(dataDir, { recursive: true, force: true })
  }

  try {
    const deadline = Date.now() + startTimeoutMs
    let baseURL = ''
    let email = ''
    let password = ''
    while (Date.now() < deadline && !(baseURL && password)) {
      if (child.exitCode !== null) throw new Error(`open-sspm dev exited with ${child.exitCode}`)
      baseURL ||= /msg="open-sspm is up" url=(\S+)/.exec(output)?.[1] ?? ''
      const who = /Sign in as (\S+) with the password in (\S+) \(/.exec(output)
      if (who) {
        email = who[1] ?? ''
        password = readFileSync(who[2] ?? '', 'utf8').split('\n')[1] ?? ''
      }
      await sleep(200)
    }
    if (!baseURL || !password) throw new Error(`open-sspm dev did not print its URL and admin password within ${startTimeoutMs / 1000} s`)
    await waitForDemo(baseURL, email, password)
    project.provide('baseURL', baseURL)
    project.provide('adminEmail', email)
    project.provide('adminPassword', password)
  } catch (err) {
    await stop()
    const tail = output.split('\n').slice(-40).join('\n')
    throw new Error(`${(err as Error).message}\n--- the last lines of ${logFile}:\n${tail}`)
  }
  return stop
}
