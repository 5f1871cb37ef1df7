/**
 * The SPA flow in a real browser: examples/spa (plain HTML + the SDK in cookie mode) served from
 * one loopback port, the API on another (listed in CORS_ORIGINS), in Debian's Chromium.
 */
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { Page } from 'playwright-core'
import { build, TEST_PASSWORD, uniqueName } from './helpers/app.js'
import { browserContext, chromiumMissing } from './helpers/chromium.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const FILES: Record<string, string> = {
  '/': join(root, 'examples/spa/index.html'),
  '/app.js': join(root, 'examples/spa/app.js')
}
const TREES: Array<[string, string]> = [
  ['/sdk/', join(root, 'sdk/dist')],
  ['/vendor/openapi-fetch/', join(root, 'node_modules/openapi-fetch/dist')]
]

function fileOf (path: string): string | undefined {
  if (FILES[path] !== undefined) return FILES[path]
  for (const [prefix, dir] of TREES) {
    if (!path.startsWith(prefix)) continue
    const file = normalize(join(dir, path.slice(prefix.length)))
    if (file.startsWith(dir + sep) && /\.m?js$/.test(file)) return file
  }
  return undefined
}

function serveSpa (): Promise<Server> {
  const server = createServer((req, res) => {
    const file = fileOf(new URL(req.url ?? '/', 'http://localhost').pathname)
    if (file === undefined) { res.writeHead(404).end(); return }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': file.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8' }).end(body),
      () => res.writeHead(404).end())
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** Waits until the page's status line reads `expected`. */
async function status (page: Page, expected: string): Promise<void> {
  // Evaluated in the page, hence a string: the test itself has no DOM types.
  try {
    await page.waitForFunction(`document.querySelector('#status')?.textContent === ${JSON.stringify(expected)}`, undefined, { timeout: 20_000 })
  } catch (err) {
    throw new Error(`status "${await page.textContent('#status') ?? ''}", expected "${expected}"`, { cause: err })
  }
}

t.test('the SPA in Chromium: sign in, reload, three tabs, sign out everywhere', { skip: chromiumMissing, timeout: 180_000 }, async (t) => {
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'sdk/tsconfig.json')])
  const spa = await serveSpa()
  t.teardown(() => new Promise<void>((resolve) => spa.close(() => resolve())))
  const spaOrigin = `http://127.0.0.1:${(spa.address() as AddressInfo).port}`
  // Six-second access tokens: with the SDK's five-second margin they are due for a refresh after one.
  const app = await build(t, { CORS_ORIGINS: spaOrigin, COOKIE_SECURE: 'false', ACCESS_TOKEN_TTL: '6' })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const url = `${spaOrigin}/?api=${encodeURIComponent(api)}`

  const context = await browserContext(t)
  const failures: string[] = []
  let refreshes = 0
  context.on('request', (request) => { if (request.url() === `${api}/api/v1/auth/refresh`) refreshes += 1 })
  const open = async () => {
    const page = await context.newPage()
    page.on('pageerror', (err) => failures.push(err.message))
    await page.goto(url)
    return page
  }

  const first = await open()
  await status(first, 'signed out')
  const username = uniqueName('spa').slice(0, 32)
  await first.fill('#email', `${username}@example.com`)
  await first.fill('#login', username)
  await first.fill('#password', TEST_PASSWORD)
  await first.click('#sign-up')
  await status(first, `signed in as ${username}`)
  const cookies = await context.cookies(`${api}/api/v1/auth/refresh`)
  t.match(cookies.find((c) => c.name === 'refresh_token'), { httpOnly: true, sameSite: 'Strict' }, 'the refresh token is an HttpOnly cookie')
  t.equal(await first.evaluate('document.cookie'), '', 'which the page script cannot read')

  await first.reload()
  await status(first, `signed in as ${username}`)
  t.pass('a reload stays signed in')

  const second = await open()
  const third = await open()
  await status(second, `signed in as ${username}`)
  await status(third, `signed in as ${username}`)

  await new Promise((resolve) => setTimeout(resolve, 1500))
  refreshes = 0
  const pages = [first, second, third]
  await Promise.all(pages.map((page) => page.click('#who')))
  for (const page of pages) await page.waitForFunction('(document.querySelector("#me")?.textContent ?? "").includes("username")')
  const profiles = await Promise.all(pages.map(async (page) => JSON.parse(await page.textContent('#me') ?? '{}') as { username?: string }))
  t.same(profiles.map((p) => p.username), [username, username, username], 'every tab reads /users/me')
  t.equal(refreshes, 1, 'three tabs whose tokens expired together refreshed once')

  await second.click('#sign-out')
  await Promise.all(pages.map((page) => status(page, 'signed out')))
  t.pass('a sign-out in one tab signs out the others')
  t.notOk((await context.cookies(`${api}/api/v1/auth/refresh`)).some((c) => c.name === 'refresh_token'), 'the refresh cookie is gone')
  t.same(failures, [], 'no script error on any page')
})

t.test('Swagger UI: Authorize with the password flow, then Try it out on GET /users/me', { skip: chromiumMissing, timeout: 120_000 }, async (t) => {
  const app = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const username = uniqueName('docs').slice(0, 32)
  const registered = await fetch(`${api}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${username}@example.com`, username, password: TEST_PASSWORD })
  })
  t.equal(registered.status, 201)

  const context = await browserContext(t)
  const page = await context.newPage()
  await page.goto(`${api}/docs`)
  await page.click('.btn.authorize')
  // The dialog lists bearerAuth first; the password flow is the oauth2 section.
  const oauth2 = page.locator('.auth-container', { hasText: 'OAuth2, password' })
  await oauth2.locator('#oauth_username').fill(username)
  await oauth2.locator('#oauth_password').fill(TEST_PASSWORD)
  await oauth2.locator('.btn.modal-btn.auth.authorize').click()
  await oauth2.locator('button', { hasText: 'Logout' }).waitFor()
  await oauth2.locator('.btn-done').click()

  const operation = page.locator('.opblock', { has: page.locator('.opblock-summary-path[data-path="/api/v1/users/me"]') }).filter({ has: page.locator('.opblock-summary-method', { hasText: 'GET' }) })
  await operation.locator('.opblock-summary').first().click()
  await operation.locator('.try-out__btn').click()
  await operation.locator('.execute').click()
  const code = operation.locator('.live-responses-table tr.response .response-col_status').first()
  await code.waitFor()
  t.match((await code.textContent())?.trim(), /^200(?!\d)/, 'the token from Authorize is sent and accepted')
  t.match(await operation.locator('.live-responses-table .microlight').first().textContent(), new RegExp(username))
})
