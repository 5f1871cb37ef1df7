import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { createAuthClient, AuthError, type TokenStorage } from '../sdk/src/index.js'
import { build, TEST_PASSWORD } from './helpers/app.js'

async function listening (t: Test, overrides: Record<string, string> = {}) {
  const app = await build(t, overrides)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { app, baseUrl: `http://127.0.0.1:${address.port}` }
}

/** `fetch` that counts the refreshes it carries. */
function countingFetch () {
  const counts = { refresh: 0 }
  const counted: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (url.endsWith('/api/v1/auth/refresh')) counts.refresh += 1
    return await fetch(input, init)
  }
  return { counts, fetch: counted }
}

/** The one cookie jar of a browser, shared by its tabs; enough of one for the refresh cookie. */
function browserJar () {
  const cookies = new Map<string, string>()
  const counts = { refresh: 0 }
  const jarFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    if (request.url.endsWith('/api/v1/auth/refresh')) counts.refresh += 1
    const headers = new Headers(request.headers)
    if (cookies.size > 0) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const response = await fetch(new Request(request, { headers }))
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      const name = pair.slice(0, at)
      const value = pair.slice(at + 1)
      if (value === '' || /max-age=0/i.test(line)) cookies.delete(name)
      else cookies.set(name, value)
    }
    return response
  }
  return { cookies, counts, fetch: jarFetch }
}

const fresh = () => {
  const id = randomBytes(4).toString('hex')
  return { email: `sdk${id}@example.com`, username: `sdk${id}`, password: TEST_PASSWORD }
}

t.test('body mode: sign up, typed API calls, sign out', async (t) => {
  const { baseUrl } = await listening(t)
  const client = createAuthClient({ baseUrl, transport: 'body' })
  t.teardown(() => client.close())
  const account = fresh()
  const changes: Array<string | null> = []
  client.onChange((user) => changes.push(user?.username ?? null))
  const signedUp = await client.signUp(account)
  t.match(signedUp, { status: 'signed_in', user: { username: account.username } })
  t.equal(client.user?.email, account.email)
  const me = await client.api.GET('/api/v1/users/me')
  t.equal(me.response.status, 200)
  t.equal(me.data?.username, account.username, 'typed data from the OpenAPI document')
  await client.signOut()
  t.equal(client.user, null)
  t.equal(await client.accessToken(), null, 'nothing to refresh once signed out')
  t.same(changes, [account.username, null], 'listeners hear sign-in and sign-out')
})

t.test('errors are typed: status and the problem code', async (t) => {
  const { baseUrl } = await listening(t)
  const client = createAuthClient({ baseUrl, transport: 'body' })
  t.teardown(() => client.close())
  const account = fresh()
  await client.signUp(account)
  const other = createAuthClient({ baseUrl, transport: 'body' })
  t.teardown(() => other.close())
  const wrong = await other.signIn({ login: account.username, password: 'not the password at all' }).catch((err: unknown) => err)
  t.ok(wrong instanceof AuthError)
  t.match(wrong, { status: 401, code: 'invalid_credentials' })
  const taken = await other.signUp(account).catch((err: unknown) => err)
  t.match(taken, { status: 409, code: 'email_taken' })
  const unreachable = createAuthClient({ baseUrl: 'http://127.0.0.1:1', transport: 'body' })
  t.match(await unreachable.signIn({ login: 'x', password: 'y' }).catch((err: unknown) => err), { status: 0, code: 'network_error' })
})

t.test('many requests meeting an expired token refresh once', async (t) => {
  const { baseUrl } = await listening(t, { ACCESS_TOKEN_TTL: '1' })
  const counting = countingFetch()
  const client = createAuthClient({ baseUrl, transport: 'body', fetch: counting.fetch })
  t.teardown(() => client.close())
  await client.signUp(fresh())
  const answers = await Promise.all(Array.from({ length: 8 }, () => client.api.GET('/api/v1/users/me')))
  t.same(answers.map((a) => a.response.status), Array(8).fill(200))
  t.equal(counting.counts.refresh, 1, 'a single refresh served all eight')
})

t.test('a token revoked elsewhere signs this client out', async (t) => {
  const { baseUrl } = await listening(t)
  const phone = createAuthClient({ baseUrl, transport: 'body' })
  const laptop = createAuthClient({ baseUrl, transport: 'body' })
  t.teardown(() => { phone.close(); laptop.close() })
  const account = fresh()
  await phone.signUp(account)
  await laptop.signIn({ login: account.email, password: account.password })
  await laptop.signOut('global')
  const me = await phone.fetch(`${baseUrl}/api/v1/users/me`)
  t.equal(me.status, 401)
  t.equal(phone.user, null, 'the revoked session is forgotten')
})

t.test('body mode keeps the refresh token in the storage it is given', async (t) => {
  const { baseUrl } = await listening(t)
  const values = new Map<string, string>()
  const storage: TokenStorage = {
    get: async (key) => values.get(key) ?? null,
    set: async (key, value) => { values.set(key, value) },
    remove: async (key) => { values.delete(key) }
  }
  const first = createAuthClient({ baseUrl, transport: 'body', storage })
  t.teardown(() => first.close())
  const account = fresh()
  await first.signUp(account)
  t.equal(values.size, 1, 'the refresh token is stored')
  const restarted = createAuthClient({ baseUrl, transport: 'body', storage })
  t.teardown(() => restarted.close())
  t.equal((await restarted.restore())?.username, account.username, 'an app restart signs in again from the storage')
  await restarted.signOut()
  t.equal(values.size, 0, 'sign-out removes it')
  t.equal(await createAuthClient({ baseUrl, transport: 'body', storage }).restore(), null)
})

const noLocks = typeof navigator === 'undefined' || navigator.locks === undefined
t.test('cookie mode across tabs: one refresh for three tabs, one sign-out for all', { skip: noLocks && 'this Node has no Web Locks API (Node 24 has); the browser test covers it' }, async (t) => {
  const { baseUrl } = await listening(t, { ACCESS_TOKEN_TTL: '1', COOKIE_SECURE: 'false' })
  const jar = browserJar()
  const channel = `tabs-${randomBytes(4).toString('hex')}`
  const tabs = [0, 1, 2].map(() => createAuthClient({ baseUrl, transport: 'cookie', fetch: jar.fetch, channel }))
  t.teardown(() => { for (const tab of tabs) tab.close() })
  const account = fresh()
  const [first, second, third] = tabs as [typeof tabs[0], typeof tabs[0], typeof tabs[0]]
  await first.signIn(await first.signUp(account).then(() => ({ login: account.username, password: account.password })))
  t.ok(jar.cookies.has('refresh_token'), 'the refresh token is in the cookie jar')
  t.equal(await second.restore().then((u) => u?.username), account.username, 'another tab signs in from the cookie')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(third.user?.username, account.username, 'a third tab heard the new token')
  jar.counts.refresh = 0
  const answers = await Promise.all(tabs.map((tab) => tab.api.GET('/api/v1/users/me')))
  t.same(answers.map((a) => a.response.status), [200, 200, 200])
  t.equal(jar.counts.refresh, 1, 'the three tabs refreshed once')
  await second.signOut()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(tabs.map((tab) => tab.user), [null, null, null], 'a sign-out in one tab signs out the others')
  t.notOk(jar.cookies.has('refresh_token'), 'and the cookie is gone')
})
