/**
 * A real browser: Debian's Chromium, driven by playwright-core, with Chromium's virtual
 * authenticator (CDP WebAuthn domain: CTAP2, internal transport, resident key, user verification).
 * A small page served here on loopback uses @simplewebauthn/browser against the API, which listens
 * on another loopback port (a cross-origin SPA, so CORS is in play too): it creates an account,
 * adds a passkey, signs out, signs in with the passkey alone and shows /users/me.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { chromium, type Page } from 'playwright-core'
import { build, TEST_PASSWORD, uniqueName } from './helpers/app.js'

const CHROMIUM = '/usr/bin/chromium'
const PAGE = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'browser', 'passkey-page.html'))
// The ES module build of @simplewebauthn/browser, served as it is installed.
const BROWSER_LIB = dirname(fileURLToPath(import.meta.resolve('@simplewebauthn/browser')))

function servePage (): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
      return
    }
    const file = normalize(join(BROWSER_LIB, path.replace(/^\/simplewebauthn\//, '')))
    if (!path.startsWith('/simplewebauthn/') || !file.startsWith(BROWSER_LIB + sep) || !file.endsWith('.js')) {
      res.writeHead(404).end()
      return
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(body),
      () => res.writeHead(404).end())
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

async function click (page: Page, button: string, expected: string): Promise<void> {
  await page.click(button)
  // Evaluated in the page, hence a string: the test itself has no DOM types.
  await page.waitForFunction("!['', '…'].includes(document.querySelector('#status').textContent)")
  const status = await page.textContent('#status')
  if (status !== expected) throw new Error(`after ${button}: "${status ?? ''}", expected "${expected}"`)
}

t.test('register a passkey in Chromium, sign out, sign in with it', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`
}, async (t) => {
  const pageServer = await servePage()
  t.teardown(() => new Promise<void>((resolve) => pageServer.close(() => resolve())))
  const pageOrigin = `http://localhost:${(pageServer.address() as AddressInfo).port}`

  const app = await build(t, { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: pageOrigin, CORS_ORIGINS: pageOrigin })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  const profile = await mkdtemp(join(tmpdir(), 'passkey-chromium-'))
  t.teardown(() => rm(profile, { recursive: true, force: true }))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
  })
  t.teardown(() => context.close())
  const page = context.pages()[0] ?? await context.newPage()
  const failures: string[] = []
  page.on('pageerror', (err) => failures.push(err.message))

  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true }
  })

  await page.goto(`${pageOrigin}/?api=${encodeURIComponent(api)}`)
  const username = uniqueName('b').slice(0, 32)
  await page.fill('#email', `${username}@example.com`)
  await page.fill('#username', username)
  await page.fill('#password', TEST_PASSWORD)
  await click(page, '#register', 'registered')
  const registered = JSON.parse(await page.textContent('#me') ?? '{}')
  t.match(registered, { username, email: `${username}@example.com` })

  await click(page, '#add-passkey', 'passkey added: This browser')
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
  t.equal(credentials.length, 1, 'the authenticator holds one credential')
  t.ok(credentials[0]?.isResidentCredential, 'a discoverable one')
  t.equal(Buffer.from(credentials[0]?.userHandle ?? '', 'base64').toString('hex'), registered.id.replaceAll('-', ''), 'for this account')

  await click(page, '#sign-out', 'signed out')
  t.equal(await page.textContent('#me'), '')

  await click(page, '#sign-in', 'signed in with a passkey')
  const me = JSON.parse(await page.textContent('#me') ?? '{}')
  t.same(me, registered, '/users/me is the account the passkey belongs to')
  t.equal((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]?.signCount, 2, 'the authenticator signed twice: created, then asserted')

  const [stored] = await app.db.selectFrom('passkeys').select(['counter', 'last_used_at', 'name']).execute()
  t.match(stored, { name: 'This browser' })
  t.ok(stored?.last_used_at instanceof Date)
  t.same(failures, [], 'no script error on the page')
})
